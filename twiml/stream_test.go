package twiml_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml"
)

func TestStreamOptionsValidate(t *testing.T) {
	ok := twiml.StreamOptions{URL: "wss://media.example.com/stream"}
	tests := []struct {
		name string
		mod  func(*twiml.StreamOptions)
		want error
	}{
		{"minimal", func(*twiml.StreamOptions) {}, nil},
		{"with port and path", func(o *twiml.StreamOptions) { o.URL = "wss://media.example.com:8443/a/b" }, nil},
		{"empty url", func(o *twiml.StreamOptions) { o.URL = "" }, twiml.ErrInvalidURL},
		{"https url", func(o *twiml.StreamOptions) { o.URL = "https://media.example.com/stream" }, twiml.ErrInvalidURL},
		{"ws url", func(o *twiml.StreamOptions) { o.URL = "ws://media.example.com/stream" }, twiml.ErrInvalidURL},
		{"relative url", func(o *twiml.StreamOptions) { o.URL = "/stream" }, twiml.ErrInvalidURL},
		{"no host", func(o *twiml.StreamOptions) { o.URL = "wss:///stream" }, twiml.ErrInvalidURL},
		{"unparsable", func(o *twiml.StreamOptions) { o.URL = "wss://exa mple.com/%zz" }, twiml.ErrInvalidURL},
		{"query string", func(o *twiml.StreamOptions) { o.URL = "wss://media.example.com/stream?call=1" }, twiml.ErrQueryString},
		{"empty query", func(o *twiml.StreamOptions) { o.URL = "wss://media.example.com/stream?" }, twiml.ErrQueryString},
		{"fragment", func(o *twiml.StreamOptions) { o.URL = "wss://media.example.com/stream#x" }, twiml.ErrInvalidURL},
		{"inbound", func(o *twiml.StreamOptions) { o.Track = twiml.TrackInbound }, nil},
		{"outbound", func(o *twiml.StreamOptions) { o.Track = twiml.TrackOutbound }, nil},
		{"both", func(o *twiml.StreamOptions) { o.Track = twiml.TrackBoth }, nil},
		{"bad track", func(o *twiml.StreamOptions) { o.Track = "inbound" }, twiml.ErrInvalidTrack},
		{"param 499", func(o *twiml.StreamOptions) { o.Parameters = map[string]string{"n": strings.Repeat("v", 498)} }, nil},
		{"param 500", func(o *twiml.StreamOptions) { o.Parameters = map[string]string{"n": strings.Repeat("v", 499)} }, twiml.ErrParameterTooLong},
		{"param runes", func(o *twiml.StreamOptions) { o.Parameters = map[string]string{"n": strings.Repeat("é", 498)} }, nil},
		{"empty param name", func(o *twiml.StreamOptions) { o.Parameters = map[string]string{"": "x"} }, twiml.ErrEmptyParameterName},
		{"callback", func(o *twiml.StreamOptions) {
			o.StatusCallback = "https://x.example.com/cb"
			o.StatusCallbackMethod = "GET"
		}, nil},
		{"relative callback", func(o *twiml.StreamOptions) { o.StatusCallback = "/cb" }, twiml.ErrInvalidStatusCallback},
		{"bad callback method", func(o *twiml.StreamOptions) { o.StatusCallbackMethod = "PUT" }, twiml.ErrInvalidStatusCallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mod(&o)
			err := o.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			// The builder refuses the same options.
			if _, err := twiml.StartStream(o); !errors.Is(err, tt.want) {
				t.Fatalf("StartStream() = %v, want %v", err, tt.want)
			}
		})
	}
}
