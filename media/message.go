package media

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// Events Twilio sends (connected, start, media, dtmf, mark, stop) and events a
// server sends back on a bidirectional stream (media, mark, clear).
const (
	EventConnected = "connected"
	EventStart     = "start"
	EventMedia     = "media"
	EventStop      = "stop"
	EventMark      = "mark"
	EventDTMF      = "dtmf"
	EventClear     = "clear"
)

// Track names used in start.tracks and media.track.
const (
	TrackInbound  = "inbound"
	TrackOutbound = "outbound"
)

// Message is one Media Streams WebSocket message, in either direction.
// Exactly one of the event objects is set, matching Event; "clear" and unknown
// events set none.
//
// MarshalJSON and UnmarshalJSON speak Twilio's wire format: camelCase names,
// sequenceNumber, chunk and timestamp as decimal strings, timestamp in
// milliseconds, payload as base64. Unknown events are decoded, not rejected,
// so that new Twilio events reach the application.
type Message struct {
	// Event names the message: one of the Event constants, or an event this
	// package does not know.
	Event string
	// SequenceNumber orders Twilio's messages from 1 ("sequenceNumber" on
	// the wire, a decimal string). It is 0 when absent: outbound messages
	// and connected carry none.
	SequenceNumber int64
	// StreamSid identifies the stream (MZ…); every message but connected
	// carries it.
	StreamSid string

	// Connected is set for a connected message.
	Connected *Connected
	// Start is set for a start message.
	Start *Start
	// Media is set for a media message, in either direction.
	Media *Media
	// Stop is set for a stop message.
	Stop *Stop
	// Mark is set for a mark message, in either direction.
	Mark *Mark
	// DTMF is set for a dtmf message.
	DTMF *DTMF

	// Raw holds the whole frame (compacted) for events this package does not
	// know; MarshalJSON writes it back verbatim. It is nil for known events.
	Raw json.RawMessage
}

// Connected is the first message of a stream.
type Connected struct {
	// Protocol is the protocol of the connection: "Call".
	Protocol string
	// Version is the protocol's semantic version: "1.0.0".
	Version string
}

// Start carries the stream's metadata. It is sent once, right after connected.
type Start struct {
	// AccountSid is the Twilio account that created the stream (AC…).
	AccountSid string
	// CallSid is the call being streamed (CA…).
	CallSid string
	// StreamSid identifies the stream (MZ…).
	StreamSid string
	// Tracks lists the tracks that will carry media: "inbound", "outbound"
	// or both.
	Tracks []string
	// MediaFormat describes the audio in media payloads.
	MediaFormat MediaFormat
	// CustomParameters holds the <Parameter> values given in the TwiML.
	CustomParameters map[string]string
}

// MediaFormat describes the payload encoding; Twilio always sends
// audio/x-mulaw, 8000 Hz, 1 channel.
type MediaFormat struct {
	// Encoding is the payload's MIME type: "audio/x-mulaw".
	Encoding string
	// SampleRate is in Hz: 8000.
	SampleRate int
	// Channels is the channel count: 1.
	Channels int
}

// Media is one chunk of audio. Outbound (server to Twilio) media carries only
// Payload.
type Media struct {
	// Track is "inbound" or "outbound"; empty on messages sent to Twilio.
	Track string
	// Chunk numbers the track's media messages from 1.
	Chunk int64
	// Timestamp is the chunk's position from the start of the stream
	// (milliseconds, a decimal string, on the wire).
	Timestamp time.Duration
	// Payload is the raw μ-law audio (base64 on the wire).
	Payload []byte
}

// Stop is the last message of a stream.
type Stop struct {
	// AccountSid is the Twilio account that created the stream.
	AccountSid string
	// CallSid is the call that was streamed.
	CallSid string
}

// Mark names a point in the outbound audio. A server sends one after media;
// Twilio echoes it when that audio has played (or was cleared).
type Mark struct {
	// Name is the mark's label, chosen by the server.
	Name string
}

// DTMF is a key press detected on the inbound track.
type DTMF struct {
	// Track is the track the key was detected on: "inbound_track".
	Track string
	// Digit is the key: 0-9, * or #.
	Digit string
}

// ParseMessage decodes one wire frame. Errors wrap ErrMalformed.
func ParseMessage(data []byte) (*Message, error) {
	m := new(Message)
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return m, nil
}

type wireIn struct {
	Event          string          `json:"event"`
	SequenceNumber json.RawMessage `json:"sequenceNumber"`
	StreamSid      string          `json:"streamSid"`
	Protocol       string          `json:"protocol"`
	Version        string          `json:"version"`
	Start          json.RawMessage `json:"start"`
	Media          json.RawMessage `json:"media"`
	Stop           json.RawMessage `json:"stop"`
	Mark           json.RawMessage `json:"mark"`
	DTMF           json.RawMessage `json:"dtmf"`
}

type wireStartIn struct {
	AccountSid  string   `json:"accountSid"`
	CallSid     string   `json:"callSid"`
	StreamSid   string   `json:"streamSid"`
	Tracks      []string `json:"tracks"`
	MediaFormat *struct {
		Encoding   string          `json:"encoding"`
		SampleRate json.RawMessage `json:"sampleRate"`
		Channels   json.RawMessage `json:"channels"`
	} `json:"mediaFormat"`
	CustomParameters map[string]string `json:"customParameters"`
}

type wireMediaIn struct {
	Track     string          `json:"track"`
	Chunk     json.RawMessage `json:"chunk"`
	Timestamp json.RawMessage `json:"timestamp"`
	Payload   string          `json:"payload"`
}

// UnmarshalJSON decodes Twilio's wire format. A malformed frame yields a
// *MalformedError naming the field.
func (m *Message) UnmarshalJSON(data []byte) error {
	var w wireIn
	if err := json.Unmarshal(data, &w); err != nil {
		return jsonError("", err)
	}
	if w.Event == "" {
		return malformed("event", errors.New("missing"))
	}
	seq, err := parseNumber(w.SequenceNumber)
	if err != nil {
		return malformed("sequenceNumber", err)
	}
	*m = Message{Event: w.Event, SequenceNumber: seq, StreamSid: w.StreamSid}
	switch w.Event {
	case EventConnected:
		m.Connected = &Connected{Protocol: w.Protocol, Version: w.Version}
	case EventStart:
		m.Start, err = parseStart(w.Start)
	case EventMedia:
		m.Media, err = parseMedia(w.Media)
	case EventStop:
		var s Stop
		err = decodeObject("stop", w.Stop, &struct {
			AccountSid *string `json:"accountSid"`
			CallSid    *string `json:"callSid"`
		}{&s.AccountSid, &s.CallSid})
		m.Stop = &s
	case EventMark:
		var k Mark
		err = decodeObject("mark", w.Mark, &struct {
			Name *string `json:"name"`
		}{&k.Name})
		m.Mark = &k
	case EventDTMF:
		var d DTMF
		err = decodeObject("dtmf", w.DTMF, &struct {
			Track *string `json:"track"`
			Digit *string `json:"digit"`
		}{&d.Track, &d.Digit})
		m.DTMF = &d
	case EventClear:
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return jsonError("", err)
		}
		m.Raw = buf.Bytes()
	}
	if err != nil {
		*m = Message{}
		return err
	}
	return nil
}

func parseStart(raw json.RawMessage) (*Start, error) {
	var w wireStartIn
	if err := decodeObject("start", raw, &w); err != nil {
		return nil, err
	}
	s := &Start{
		AccountSid:       w.AccountSid,
		CallSid:          w.CallSid,
		StreamSid:        w.StreamSid,
		Tracks:           w.Tracks,
		CustomParameters: w.CustomParameters,
	}
	if f := w.MediaFormat; f != nil {
		s.MediaFormat.Encoding = f.Encoding
		rate, err := parseNumber(f.SampleRate)
		if err != nil || rate > math.MaxInt32 {
			return nil, malformed("start.mediaFormat.sampleRate", orRange(err))
		}
		ch, err := parseNumber(f.Channels)
		if err != nil || ch > math.MaxInt32 {
			return nil, malformed("start.mediaFormat.channels", orRange(err))
		}
		s.MediaFormat.SampleRate, s.MediaFormat.Channels = int(rate), int(ch)
	}
	return s, nil
}

func parseMedia(raw json.RawMessage) (*Media, error) {
	var w wireMediaIn
	if err := decodeObject("media", raw, &w); err != nil {
		return nil, err
	}
	chunk, err := parseNumber(w.Chunk)
	if err != nil {
		return nil, malformed("media.chunk", err)
	}
	ts, err := parseNumber(w.Timestamp)
	if err != nil {
		return nil, malformed("media.timestamp", err)
	}
	if ts > maxTimestampMillis {
		return nil, malformed("media.timestamp", errOutOfRange)
	}
	payload, err := base64.StdEncoding.DecodeString(w.Payload)
	if err != nil {
		return nil, malformed("media.payload", err)
	}
	return &Media{Track: w.Track, Chunk: chunk, Timestamp: time.Duration(ts) * time.Millisecond, Payload: payload}, nil
}

const maxTimestampMillis = math.MaxInt64 / int64(time.Millisecond)

var errOutOfRange = errors.New("value out of range")

func orRange(err error) error {
	if err != nil {
		return err
	}
	return errOutOfRange
}

// decodeObject decodes the event object named field; it must be present.
func decodeObject(field string, raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return malformed(field, errors.New("missing"))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonError(field, err)
	}
	return nil
}

// jsonError turns an encoding/json error into a *MalformedError naming the
// field.
func jsonError(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		if prefix != "" {
			return malformed(prefix+"."+te.Field, err)
		}
		return malformed(te.Field, err)
	}
	return malformed(prefix, err)
}

// parseNumber reads a non-negative integer sent as a decimal string (Twilio's
// form) or as a JSON number. Absent or null is 0.
func parseNumber(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a decimal integer: " + strconv.Quote(s))
	}
	if n < 0 {
		return 0, errors.New("negative value: " + s)
	}
	return n, nil
}

type wireOut struct {
	Event          string        `json:"event"`
	SequenceNumber string        `json:"sequenceNumber,omitempty"`
	Protocol       string        `json:"protocol,omitempty"`
	Version        string        `json:"version,omitempty"`
	Start          *wireStartOut `json:"start,omitempty"`
	Media          *wireMediaOut `json:"media,omitempty"`
	Stop           *wireStopOut  `json:"stop,omitempty"`
	Mark           *wireMarkOut  `json:"mark,omitempty"`
	DTMF           *wireDTMFOut  `json:"dtmf,omitempty"`
	StreamSid      string        `json:"streamSid,omitempty"`
}

type wireStartOut struct {
	AccountSid  string   `json:"accountSid"`
	StreamSid   string   `json:"streamSid"`
	CallSid     string   `json:"callSid"`
	Tracks      []string `json:"tracks"`
	MediaFormat struct {
		Encoding   string `json:"encoding"`
		SampleRate int    `json:"sampleRate"`
		Channels   int    `json:"channels"`
	} `json:"mediaFormat"`
	CustomParameters map[string]string `json:"customParameters"`
}

type wireMediaOut struct {
	Track     string `json:"track,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	Payload   string `json:"payload"`
}

type wireStopOut struct {
	AccountSid string `json:"accountSid"`
	CallSid    string `json:"callSid"`
}

type wireMarkOut struct {
	Name string `json:"name"`
}

type wireDTMFOut struct {
	Track string `json:"track"`
	Digit string `json:"digit"`
}

// MarshalJSON encodes m in Twilio's wire format. Inbound media (Track set)
// carries track, chunk, timestamp and payload; outbound media (Track empty)
// carries only the payload plus any non-zero chunk or timestamp.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.Raw != nil && !knownEvent(m.Event) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, m.Raw); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	w := wireOut{Event: m.Event, StreamSid: m.StreamSid}
	if m.SequenceNumber != 0 {
		w.SequenceNumber = strconv.FormatInt(m.SequenceNumber, 10)
	}
	if c := m.Connected; c != nil {
		w.Protocol, w.Version = c.Protocol, c.Version
	}
	if s := m.Start; s != nil {
		o := &wireStartOut{AccountSid: s.AccountSid, StreamSid: s.StreamSid, CallSid: s.CallSid,
			Tracks: s.Tracks, CustomParameters: s.CustomParameters}
		if o.Tracks == nil {
			o.Tracks = []string{}
		}
		if o.CustomParameters == nil {
			o.CustomParameters = map[string]string{}
		}
		o.MediaFormat.Encoding = s.MediaFormat.Encoding
		o.MediaFormat.SampleRate = s.MediaFormat.SampleRate
		o.MediaFormat.Channels = s.MediaFormat.Channels
		w.Start = o
	}
	if md := m.Media; md != nil {
		o := &wireMediaOut{Track: md.Track, Payload: base64.StdEncoding.EncodeToString(md.Payload)}
		ms := int64(md.Timestamp / time.Millisecond)
		if md.Track != "" || md.Chunk != 0 {
			o.Chunk = strconv.FormatInt(md.Chunk, 10)
		}
		if md.Track != "" || ms != 0 {
			o.Timestamp = strconv.FormatInt(ms, 10)
		}
		w.Media = o
	}
	if s := m.Stop; s != nil {
		w.Stop = &wireStopOut{AccountSid: s.AccountSid, CallSid: s.CallSid}
	}
	if k := m.Mark; k != nil {
		w.Mark = &wireMarkOut{Name: k.Name}
	}
	if d := m.DTMF; d != nil {
		w.DTMF = &wireDTMFOut{Track: d.Track, Digit: d.Digit}
	}
	return json.Marshal(w)
}

func knownEvent(e string) bool {
	switch e {
	case EventConnected, EventStart, EventMedia, EventStop, EventMark, EventDTMF, EventClear:
		return true
	}
	return false
}
