package twiml

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/twiml"
)

// StartStream validates opts and returns the <Start><Stream> verb with one
// <Parameter> per custom parameter, ready for twilio-go's twiml.Voice or
// Response.Append.
func StartStream(opts StreamOptions) (twiml.Element, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	stream := &twiml.VoiceStream{
		Name:                 opts.Name,
		Url:                  opts.URL,
		Track:                opts.Track,
		StatusCallback:       opts.StatusCallback,
		StatusCallbackMethod: strings.ToUpper(opts.StatusCallbackMethod),
	}
	for _, name := range sortedParameters(opts.Parameters) {
		stream.InnerElements = append(stream.InnerElements, &twiml.VoiceParameter{Name: name, Value: opts.Parameters[name]})
	}
	return &twiml.VoiceStart{InnerElements: []twiml.Element{stream}}, nil
}

// StopStream returns the <Stop><Stream name="…"/></Stop> verb that stops the
// stream started with that name earlier in the call.
func StopStream(name string) (twiml.Element, error) {
	if name == "" {
		return nil, ErrEmptyName
	}
	return &twiml.VoiceStop{InnerElements: []twiml.Element{&twiml.VoiceStream{Name: name}}}, nil
}

// Response builds a TwiML <Response> for a voice call. Verbs run in the
// order they are added: typically StartStream to fork the audio, then the
// verbs that continue the call (Dial, Say, Pause, Redirect…).
//
// The zero value is an empty response ready to use. A Response is not safe
// for concurrent use.
type Response struct {
	verbs []twiml.Element
}

// NewResponse returns a Response holding verbs.
func NewResponse(verbs ...twiml.Element) *Response {
	return new(Response).Append(verbs...)
}

// StartStream validates opts and appends <Start><Stream>. It fails, leaving
// the response unchanged, when opts break a Twilio rule or when the response
// would start more than MaxStreamsPerCall streams or reuse a stream name.
func (r *Response) StartStream(opts StreamOptions) error {
	el, err := StartStream(opts)
	if err != nil {
		return err
	}
	if err := checkStreams(append(r.verbs[:len(r.verbs):len(r.verbs)], el)); err != nil {
		return err
	}
	r.verbs = append(r.verbs, el)
	return nil
}

// StopStream appends <Stop><Stream name="…"/></Stop>.
func (r *Response) StopStream(name string) error {
	el, err := StopStream(name)
	if err != nil {
		return err
	}
	r.verbs = append(r.verbs, el)
	return nil
}

// Append adds any twilio-go TwiML verbs (for example *twiml.VoiceDial with
// nested nouns). Streams appended this way are checked by XML.
func (r *Response) Append(verbs ...twiml.Element) *Response {
	for _, v := range verbs {
		if v != nil {
			r.verbs = append(r.verbs, v)
		}
	}
	return r
}

// Say appends <Say>text</Say>.
func (r *Response) Say(text string) *Response {
	return r.Append(&twiml.VoiceSay{Message: text})
}

// Pause appends <Pause length="seconds"/>; seconds <= 0 uses Twilio's
// default of one second.
func (r *Response) Pause(seconds int) *Response {
	p := &twiml.VoicePause{}
	if seconds > 0 {
		p.Length = strconv.Itoa(seconds)
	}
	return r.Append(p)
}

// Dial appends <Dial>number</Dial>, connecting the caller to number (E.164,
// SIP URI or client identity as Twilio accepts).
func (r *Response) Dial(number string) *Response {
	return r.Append(&twiml.VoiceDial{Number: number})
}

// Redirect appends <Redirect>url</Redirect>: Twilio fetches new TwiML from url.
func (r *Response) Redirect(url string) *Response {
	return r.Append(&twiml.VoiceRedirect{Url: url})
}

// Hangup appends <Hangup/>.
func (r *Response) Hangup() *Response {
	return r.Append(&twiml.VoiceHangup{})
}

// Reject appends <Reject reason="…"/> ("rejected" or "busy"; empty for
// Twilio's default).
func (r *Response) Reject(reason string) *Response {
	return r.Append(&twiml.VoiceReject{Reason: reason})
}

// Verbs returns a copy of the verbs added so far.
func (r *Response) Verbs() []twiml.Element {
	return append([]twiml.Element(nil), r.verbs...)
}

// Len returns the number of top-level verbs.
func (r *Response) Len() int { return len(r.verbs) }

// XML renders the response with twilio-go's twiml.Voice, after checking the
// stream count and names of every <Start><Stream> in it.
func (r *Response) XML() (string, error) {
	if err := checkStreams(r.verbs); err != nil {
		return "", err
	}
	out, err := twiml.Voice(r.verbs)
	if err != nil {
		return "", fmt.Errorf("twiml: render: %w", err)
	}
	return out, nil
}

// WriteTo writes the rendered XML to w.
func (r *Response) WriteTo(w io.Writer) (int64, error) {
	out, err := r.XML()
	if err != nil {
		return 0, err
	}
	n, err := io.WriteString(w, out)
	return int64(n), err
}

// ServeHTTP answers with the rendered TwiML (Content-Type text/xml), or 500
// when the response is invalid.
func (r *Response) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	out, err := r.XML()
	if err != nil {
		http.Error(w, "invalid TwiML", http.StatusInternalServerError)
		return
	}
	writeXML(w, out)
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// checkStreams counts the <Stream>s started by <Start> verbs in verbs and
// checks their names are unique.
func checkStreams(verbs []twiml.Element) error {
	count := 0
	names := make(map[string]bool)
	for _, v := range verbs {
		if v == nil || v.GetName() != "Start" {
			continue
		}
		for _, inner := range v.GetInnerElements() {
			if inner == nil || inner.GetName() != "Stream" {
				continue
			}
			count++
			if count > MaxStreamsPerCall {
				return fmt.Errorf("%w: response starts %d", ErrTooManyStreams, count)
			}
			name := streamName(inner)
			if name == "" {
				continue
			}
			if names[name] {
				return fmt.Errorf("%w: %q", ErrDuplicateStreamName, name)
			}
			names[name] = true
		}
	}
	return nil
}

func streamName(el twiml.Element) string {
	opt, params := el.GetAttr()
	if n := params["Name"]; n != "" {
		return n
	}
	if n := opt["name"]; n != "" {
		return n
	}
	return opt["Name"]
}
