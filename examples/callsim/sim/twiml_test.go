package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTwiML(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Start>
    <Stream url="wss://example.com/twilio/media" track="both_tracks" name="callguard" statusCallback="https://example.com/twilio/stream-status">
      <Parameter name="session" value="ds_1"/>
      <Parameter name="track" value="both"/>
    </Stream>
  </Start>
  <Pause length="60"/>
</Response>`
	got, err := ParseTwiML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []StreamVerb{{
		URL: "wss://example.com/twilio/media", Track: "both_tracks", Name: "callguard",
		StatusCallback: "https://example.com/twilio/stream-status",
		Parameters:     map[string]string{"session": "ds_1", "track": "both"},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseTwiML (-want +got):\n%s", d)
	}

	got, err = ParseTwiML(strings.NewReader(`<Response><Connect><Stream url="ws://h/x"/></Connect></Response>`))
	if err != nil || len(got) != 1 || !got[0].Connect || got[0].URL != "ws://h/x" {
		t.Errorf("Connect stream: %+v, %v", got, err)
	}
	got, err = ParseTwiML(strings.NewReader(`<Response><Say>hi</Say></Response>`))
	if err != nil || len(got) != 0 {
		t.Errorf("no stream: %+v, %v", got, err)
	}
}

func TestParseTwiMLErrors(t *testing.T) {
	for _, doc := range []string{
		``,
		`<html></html>`,
		`<Response><Start><Stream track="inbound_track"/></Start></Response>`,
		`<Response><Start>`,
		`{"json": true}`,
	} {
		if _, err := ParseTwiML(strings.NewReader(doc)); !errors.Is(err, ErrNotTwiML) {
			t.Errorf("ParseTwiML(%q) err = %v, want ErrNotTwiML", doc, err)
		}
	}
}

func FuzzParseTwiML(f *testing.F) {
	f.Add(`<Response><Start><Stream url="wss://a/b"><Parameter name="x" value="y"/></Stream></Start></Response>`)
	f.Add(`<Response><Connect><Stream url="ws://h/x"/></Connect></Response>`)
	f.Add(`<Response/>`)
	f.Fuzz(func(t *testing.T, doc string) {
		streams, err := ParseTwiML(strings.NewReader(doc))
		if err != nil {
			return
		}
		for _, s := range streams {
			if s.URL == "" {
				t.Fatalf("stream without URL accepted: %+v", s)
			}
		}
	})
}
