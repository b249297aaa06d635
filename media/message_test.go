package media_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Frames in the shapes Twilio documents for Media Streams, in both directions.
var messageCases = []struct {
	name string
	wire string
	msg  media.Message
}{
	{
		name: "connected",
		wire: `{"event":"connected","protocol":"Call","version":"1.0.0"}`,
		msg:  media.Message{Event: "connected", Connected: &media.Connected{Protocol: "Call", Version: "1.0.0"}},
	},
	{
		name: "start inbound",
		wire: `{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC123","streamSid":"MZ123","callSid":"CA123",` +
			`"tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{}},"streamSid":"MZ123"}`,
		msg: media.Message{Event: "start", SequenceNumber: 1, StreamSid: "MZ123", Start: &media.Start{
			AccountSid: "AC123", StreamSid: "MZ123", CallSid: "CA123", Tracks: []string{"inbound"},
			MediaFormat:      media.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: 8000, Channels: 1},
			CustomParameters: map[string]string{},
		}},
	},
	{
		name: "start both tracks with custom parameters",
		wire: `{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC123","streamSid":"MZ123","callSid":"CA123",` +
			`"tracks":["inbound","outbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},` +
			`"customParameters":{"FirstName":"Jane","LastName":"Doe"}},"streamSid":"MZ123"}`,
		msg: media.Message{Event: "start", SequenceNumber: 1, StreamSid: "MZ123", Start: &media.Start{
			AccountSid: "AC123", StreamSid: "MZ123", CallSid: "CA123", Tracks: []string{"inbound", "outbound"},
			MediaFormat:      media.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: 8000, Channels: 1},
			CustomParameters: map[string]string{"FirstName": "Jane", "LastName": "Doe"},
		}},
	},
	{
		name: "media inbound",
		wire: `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/39+AA=="},"streamSid":"MZ123"}`,
		msg: media.Message{Event: "media", SequenceNumber: 3, StreamSid: "MZ123", Media: &media.Media{
			Track: "inbound", Chunk: 1, Timestamp: 5 * time.Millisecond, Payload: []byte{0xFF, 0x7F, 0x7E, 0x00}}},
	},
	{
		name: "media outbound track",
		wire: `{"event":"media","sequenceNumber":"4","media":{"track":"outbound","chunk":"1","timestamp":"0","payload":"/w=="},"streamSid":"MZ123"}`,
		msg: media.Message{Event: "media", SequenceNumber: 4, StreamSid: "MZ123", Media: &media.Media{
			Track: "outbound", Chunk: 1, Timestamp: 0, Payload: []byte{0xFF}}},
	},
	{
		name: "dtmf",
		wire: `{"event":"dtmf","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"},"streamSid":"MZ123"}`,
		msg:  media.Message{Event: "dtmf", SequenceNumber: 5, StreamSid: "MZ123", DTMF: &media.DTMF{Track: "inbound_track", Digit: "1"}},
	},
	{
		name: "mark from Twilio",
		wire: `{"event":"mark","sequenceNumber":"4","mark":{"name":"my label"},"streamSid":"MZ123"}`,
		msg:  media.Message{Event: "mark", SequenceNumber: 4, StreamSid: "MZ123", Mark: &media.Mark{Name: "my label"}},
	},
	{
		name: "stop",
		wire: `{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC123","callSid":"CA123"},"streamSid":"MZ123"}`,
		msg:  media.Message{Event: "stop", SequenceNumber: 5, StreamSid: "MZ123", Stop: &media.Stop{AccountSid: "AC123", CallSid: "CA123"}},
	},
	{
		name: "outbound media to Twilio",
		wire: `{"event":"media","media":{"payload":"AAEC"},"streamSid":"MZ123"}`,
		msg:  media.Message{Event: "media", StreamSid: "MZ123", Media: &media.Media{Payload: []byte{0, 1, 2}}},
	},
	{
		name: "outbound mark to Twilio",
		wire: `{"event":"mark","mark":{"name":"reply-1"},"streamSid":"MZ123"}`,
		msg:  media.Message{Event: "mark", StreamSid: "MZ123", Mark: &media.Mark{Name: "reply-1"}},
	},
	{
		name: "clear",
		wire: `{"event":"clear","streamSid":"MZ123"}`,
		msg:  media.Message{Event: "clear", StreamSid: "MZ123"},
	},
	{
		name: "unknown event",
		wire: `{"event":"future","sequenceNumber":"9","future":{"x":[1,2]},"streamSid":"MZ123"}`,
		msg: media.Message{Event: "future", SequenceNumber: 9, StreamSid: "MZ123",
			Raw: json.RawMessage(`{"event":"future","sequenceNumber":"9","future":{"x":[1,2]},"streamSid":"MZ123"}`)},
	},
}

func TestMessageUnmarshal(t *testing.T) {
	for _, tc := range messageCases {
		t.Run(tc.name, func(t *testing.T) {
			var got media.Message
			if err := json.Unmarshal([]byte(tc.wire), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.msg, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessageMarshal(t *testing.T) {
	for _, tc := range messageCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal([]byte(tc.wire), &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wire form (-want +got):\n%s\n%s", diff, b)
			}
		})
	}
}

func TestMessageLenientInput(t *testing.T) {
	// Numbers as JSON numbers, extra fields, whitespace.
	m, err := media.ParseMessage([]byte(` { "event" : "media", "sequenceNumber": 7, "extra": {"a": [1]},
		"media": {"track": "inbound", "chunk": 2, "timestamp": "40", "payload": "AA=="} } `))
	if err != nil {
		t.Fatal(err)
	}
	want := &media.Message{Event: "media", SequenceNumber: 7, Media: &media.Media{Track: "inbound", Chunk: 2, Timestamp: 40 * time.Millisecond, Payload: []byte{0}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMessageMalformed(t *testing.T) {
	for _, tc := range []struct {
		wire, field string
	}{
		{`not json`, ""},
		{`{"event":"media"`, ""},
		{`[]`, ""},
		{`{}`, "event"},
		{`{"event":""}`, "event"},
		{`{"event":5}`, "event"},
		{`{"event":"media","sequenceNumber":"x"}`, "sequenceNumber"},
		{`{"event":"media","sequenceNumber":"-1","media":{}}`, "sequenceNumber"},
		{`{"event":"media"}`, "media"},
		{`{"event":"media","media":null}`, "media"},
		{`{"event":"media","media":"AA=="}`, "media"},
		{`{"event":"media","media":{"chunk":"one","payload":""}}`, "media.chunk"},
		{`{"event":"media","media":{"chunk":"1","timestamp":"1.5","payload":""}}`, "media.timestamp"},
		{`{"event":"media","media":{"timestamp":"99999999999999999999","payload":""}}`, "media.timestamp"},
		{`{"event":"media","media":{"timestamp":"9223372036855","payload":""}}`, "media.timestamp"},
		{`{"event":"media","media":{"payload":"%%%"}}`, "media.payload"},
		{`{"event":"media","media":{"payload":7}}`, "media.payload"},
		{`{"event":"media","media":{"track":["inbound"],"payload":""}}`, "media.track"},
		{`{"event":"start"}`, "start"},
		{`{"event":"start","start":{"tracks":"inbound"}}`, "start.tracks"},
		{`{"event":"start","start":{"mediaFormat":{"sampleRate":"fast"}}}`, "start.mediaFormat.sampleRate"},
		{`{"event":"start","start":{"mediaFormat":{"channels":-2}}}`, "start.mediaFormat.channels"},
		{`{"event":"start","start":{"customParameters":{"a":1}}}`, "start.customParameters"},
		{`{"event":"stop"}`, "stop"},
		{`{"event":"mark","mark":{"name":3}}`, "mark.name"},
		{`{"event":"dtmf","dtmf":[]}`, "dtmf"},
	} {
		t.Run(tc.wire, func(t *testing.T) {
			_, err := media.ParseMessage([]byte(tc.wire))
			var me *media.MalformedError
			if !errors.Is(err, media.ErrMalformed) || !errors.As(err, &me) {
				t.Fatalf("error = %v, want a MalformedError", err)
			}
			if me.Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", me.Field, tc.field, err)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, tc := range messageCases {
		b, err := json.Marshal(tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := media.ParseMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(&tc.msg, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
