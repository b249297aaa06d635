package media

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var fuzzSeeds = []string{
	`{"event":"connected","protocol":"Call","version":"1.0.0"}`,
	`{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound","outbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"k":"v"}},"streamSid":"MZ1"}`,
	`{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/39+AA=="},"streamSid":"MZ1"}`,
	`{ "event" : "media" , "media" : { "payload" : "AAEC" } , "streamSid" : "MZ1" }`,
	`{"event":"media","media":{"track":"outbound","chunk":1,"timestamp":"20","payload":"AA=="}}`,
	`{"event":"media","media":{"track":"in\u0062ound","chunk":"1","timestamp":"0","payload":"AA=="}}`,
	`{"event":"media","media":{"payload":"%%"}}`,
	`{"event":"media","event":"media","media":{}}`,
	`{"event":"dtmf","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"},"streamSid":"MZ1"}`,
	`{"event":"mark","sequenceNumber":"4","mark":{"name":"my label"},"streamSid":"MZ1"}`,
	`{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"MZ1"}`,
	`{"event":"clear","streamSid":"MZ1"}`,
	`{"event":"future","data":[1,{"a":null}]}`,
	`{"event":"media","media":{"timestamp":"9223372036855","payload":""}}`,
	`{}`, `[]`, `null`, `"media"`, `{"event":"media"`, ``,
}

// FuzzParseMessage checks that parsing never panics, that errors are
// MalformedErrors, that accepted input round-trips through MarshalJSON, and
// that the hot-path parser agrees with UnmarshalJSON on whatever it accepts.
func FuzzParseMessage(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if v, ok := parseMediaFast(data); ok {
			checkFast(t, data, v, m, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", m, err)
		}
		back, err := ParseMessage(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if diff := cmp.Diff(m, back, cmpopts.EquateEmpty(), rawEqual); diff != "" {
			t.Fatalf("round trip of %q via %s (-first +second):\n%s", data, b, diff)
		}
	})
}

// rawEqual compares raw frames as json.Marshal writes them (it escapes
// HTML characters in a Marshaler's output).
var rawEqual = cmp.FilterValues(func(a, b json.RawMessage) bool { return len(a) > 0 && len(b) > 0 },
	cmp.Comparer(func(a, b json.RawMessage) bool {
		var x, y bytes.Buffer
		json.HTMLEscape(&x, a)
		json.HTMLEscape(&y, b)
		return bytes.Equal(x.Bytes(), y.Bytes())
	}))

func checkFast(t *testing.T, data []byte, v mediaView, m *Message, err error) {
	t.Helper()
	payload, perr := base64.StdEncoding.DecodeString(string(v.payload))
	if perr != nil {
		var me *MalformedError
		if !errors.As(err, &me) || me.Field != "media.payload" {
			t.Fatalf("fast path took %q with a bad payload, UnmarshalJSON says %v", data, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("fast path accepted %q, UnmarshalJSON failed: %v", data, err)
	}
	got := Message{Event: EventMedia, SequenceNumber: v.seq, StreamSid: string(v.streamSid), Media: &Media{
		Track: string(v.track), Chunk: v.chunk, Timestamp: time.Duration(v.ts) * time.Millisecond, Payload: payload}}
	if diff := cmp.Diff(m, &got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("fast path disagrees on %q (-UnmarshalJSON +fast):\n%s", data, diff)
	}
}

func TestFastParserTakesTwilioFrames(t *testing.T) {
	for _, s := range []string{fuzzSeeds[2], fuzzSeeds[3]} {
		if _, ok := parseMediaFast([]byte(s)); !ok {
			t.Errorf("fast path rejected %s", s)
		}
	}
	for _, s := range []string{fuzzSeeds[4], fuzzSeeds[5], fuzzSeeds[7], fuzzSeeds[0]} {
		if _, ok := parseMediaFast([]byte(s)); ok {
			t.Errorf("fast path took %s, which needs the general decoder", s)
		}
	}
}

func TestFastParserStringScan(t *testing.T) {
	// Every special byte at every offset, including inside an 8-byte word.
	for _, c := range []byte{'"', '\\', 0x00, 0x1F, 0x80, 0xFF} {
		for pos := range 20 {
			body := []byte(strings.Repeat("A", 20))
			body[pos] = c
			p := fastParser{b: append(append([]byte{'"'}, body...), '"')}
			s, ok := p.str()
			if c == '"' {
				if !ok || len(s) != pos {
					t.Errorf("quote at %d: ok=%v len=%d", pos, ok, len(s))
				}
			} else if ok {
				t.Errorf("byte %#x at %d accepted", c, pos)
			}
		}
	}
	for _, c := range []byte{0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x7F} {
		body := strings.Repeat(string(c), 19)
		p := fastParser{b: []byte(`"` + body + `"`)}
		if s, ok := p.str(); !ok || string(s) != body {
			t.Errorf("plain byte %#x rejected", c)
		}
	}
}
