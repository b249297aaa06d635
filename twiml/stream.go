package twiml

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tracks a stream can fork. The zero value ("") means Twilio's default,
// inbound_track.
const (
	TrackInbound  = "inbound_track"  // audio from the caller to Twilio
	TrackOutbound = "outbound_track" // audio from Twilio to the caller
	TrackBoth     = "both_tracks"    // both directions, as two tracks
)

// Twilio's Media Streams limits.
const (
	// MaxStreamsPerCall is the number of concurrent streams Twilio allows on
	// one call.
	MaxStreamsPerCall = 4
	// MaxParameterLength bounds len(name)+len(value) of one custom
	// parameter, in characters: the sum must be less than this.
	MaxParameterLength = 500
	// MaxRESTParameters is the number of custom parameters the Streams REST
	// API accepts (Parameter1 … Parameter99).
	MaxRESTParameters = 99
)

// StreamOptions describes one unidirectional Media Stream, for TwiML
// (<Start><Stream>) and for the REST Streams API alike.
type StreamOptions struct {
	// Name identifies the stream on its call; it is how StopStream and
	// Streams.Stop find it. Optional but recommended; unique per call.
	Name string
	// URL is the WebSocket endpoint: wss://host/path, no query string.
	URL string
	// Track is TrackInbound (default when empty), TrackOutbound or TrackBoth.
	Track string
	// StatusCallback, if set, is an absolute http(s) URL that receives
	// stream-started / stream-stopped / stream-error events
	// (see StreamStatusHandler).
	StatusCallback string
	// StatusCallbackMethod is "GET" or "POST" (default when empty).
	StatusCallbackMethod string
	// Parameters are passed to the WebSocket server in the start message's
	// customParameters. Each name+value must be under 500 characters.
	Parameters map[string]string
}

// Validate checks the options against Twilio's rules and returns an error
// wrapping one of ErrInvalidURL, ErrQueryString, ErrInvalidTrack,
// ErrParameterTooLong, ErrEmptyParameterName or ErrInvalidStatusCallback.
func (o StreamOptions) Validate() error {
	if err := validateStreamURL(o.URL); err != nil {
		return err
	}
	if !ValidTrack(o.Track) {
		return fmt.Errorf("%w: %q (want %s, %s or %s)", ErrInvalidTrack, o.Track, TrackInbound, TrackOutbound, TrackBoth)
	}
	for name, value := range o.Parameters {
		if err := validateParameter(name, value); err != nil {
			return err
		}
	}
	if o.StatusCallback != "" {
		u, err := url.Parse(o.StatusCallback)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: url %q must be an absolute http(s) URL", ErrInvalidStatusCallback, o.StatusCallback)
		}
	}
	switch strings.ToUpper(o.StatusCallbackMethod) {
	case "", "GET", "POST":
	default:
		return fmt.Errorf("%w: method %q (want GET or POST)", ErrInvalidStatusCallback, o.StatusCallbackMethod)
	}
	return nil
}

// ValidTrack reports whether track is "" or one of the three Twilio tracks.
func ValidTrack(track string) bool {
	switch track {
	case "", TrackInbound, TrackOutbound, TrackBoth:
		return true
	}
	return false
}

func validateStreamURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrInvalidURL, raw, err)
	}
	if u.Scheme != "wss" || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: %q", ErrInvalidURL, raw)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return fmt.Errorf("%w: %q", ErrQueryString, raw)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%w: %q has a fragment", ErrInvalidURL, raw)
	}
	return nil
}

func validateParameter(name, value string) error {
	if name == "" {
		return ErrEmptyParameterName
	}
	if n := utf8.RuneCountInString(name) + utf8.RuneCountInString(value); n >= MaxParameterLength {
		return fmt.Errorf("%w: %q is %d characters", ErrParameterTooLong, name, n)
	}
	return nil
}

// sortedParameters returns the parameter names in a stable order so that
// generated TwiML and REST requests are deterministic.
func sortedParameters(p map[string]string) []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
