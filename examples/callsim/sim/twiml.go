package sim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// StreamVerb is a <Stream> found in a TwiML answer, inside <Start> (a fork
// of the call's audio) or <Connect> (a bidirectional stream).
type StreamVerb struct {
	// URL is the WebSocket URL Twilio would connect to.
	URL string
	// Track is "inbound_track", "outbound_track" or "both_tracks"; empty
	// means Twilio's default, inbound_track.
	Track string
	// Name, StatusCallback and StatusCallbackMethod are copied verbatim.
	Name, StatusCallback, StatusCallbackMethod string
	// Connect is true for <Connect><Stream>.
	Connect bool
	// Parameters are the <Parameter name value> children, in order; Twilio
	// passes them in start.customParameters.
	Parameters map[string]string
}

// ErrNotTwiML is wrapped by ParseTwiML when the body is not a TwiML
// <Response> document.
var ErrNotTwiML = errors.New("sim: not a TwiML response")

// ParseTwiML reads a TwiML document and returns every <Stream> it starts,
// in document order. A valid response with no stream (the server declined
// to monitor the call) returns an empty slice and no error.
func ParseTwiML(r io.Reader) ([]StreamVerb, error) {
	dec := xml.NewDecoder(r)
	var (
		streams []StreamVerb
		stack   []string
		cur     *StreamVerb
		sawRoot bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotTwiML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if len(stack) == 0 {
				if name != "Response" {
					return nil, fmt.Errorf("%w: root element is <%s>", ErrNotTwiML, name)
				}
				sawRoot = true
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			switch {
			case name == "Stream" && (parent == "Start" || parent == "Connect"):
				cur = &StreamVerb{Connect: parent == "Connect", Parameters: map[string]string{}}
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "url":
						cur.URL = strings.TrimSpace(a.Value)
					case "track":
						cur.Track = a.Value
					case "name":
						cur.Name = a.Value
					case "statusCallback":
						cur.StatusCallback = a.Value
					case "statusCallbackMethod":
						cur.StatusCallbackMethod = a.Value
					}
				}
			case name == "Parameter" && parent == "Stream" && cur != nil:
				var k, v string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "name":
						k = a.Value
					case "value":
						v = a.Value
					}
				}
				if k != "" {
					cur.Parameters[k] = v
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: unbalanced </%s>", ErrNotTwiML, t.Name.Local)
			}
			if stack[len(stack)-1] == "Stream" && cur != nil {
				if cur.URL == "" {
					return nil, fmt.Errorf("%w: <Stream> without url", ErrNotTwiML)
				}
				streams = append(streams, *cur)
				cur = nil
			}
			stack = stack[:len(stack)-1]
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("%w: empty document", ErrNotTwiML)
	}
	return streams, nil
}
