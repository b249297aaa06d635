package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Event is one server event as callsim understands it: the JSON object the
// server's notify hub sends as each SSE message's data.
type Event struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	CallSid string          `json:"call_sid"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
	// Received is when callsim read the event (not on the wire).
	Received time.Time `json:"-"`
}

// VerdictInfo is what callsim reads from a verdict event's data. Both the
// field names of detect.Verdict (CallSid, End, Latency in nanoseconds) and
// snake_case names (end_ms, latency_ms) are understood.
type VerdictInfo struct {
	CallSid string
	Track   string
	Index   int
	Start   time.Duration
	End     time.Duration
	Label   string
	Score   float64
	Vendor  string
	Latency time.Duration
	Err     string
	// Decided is when the server's detector answered (decided_at), when
	// the server reports it; the zero time otherwise.
	Decided time.Time
}

// ErrEventData is wrapped when an event's data cannot be read.
var ErrEventData = errors.New("sim: bad event data")

// DecodeEvent parses one SSE message into an Event. The SSE event name is
// used when the JSON carries no type.
func DecodeEvent(m SSEEvent) (Event, error) {
	var e Event
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrEventData, err)
	}
	if e.Type == "" {
		e.Type = m.Type
	}
	if e.ID == "" {
		e.ID = m.ID
	}
	return e, nil
}

// DecodeVerdict reads the verdict carried by a verdict event's data.
func DecodeVerdict(data json.RawMessage) (VerdictInfo, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return VerdictInfo{}, fmt.Errorf("%w: %v", ErrEventData, err)
	}
	// Some servers wrap the verdict: {"verdict": {...}}.
	if inner, ok := lookup(m, "verdict"); ok && bytes.HasPrefix(bytes.TrimSpace(inner), []byte("{")) {
		var im map[string]json.RawMessage
		if json.Unmarshal(inner, &im) == nil {
			for k, v := range im {
				m[k] = v
			}
		}
	}
	var v VerdictInfo
	str := func(dst *string, keys ...string) {
		for _, k := range keys {
			if raw, ok := lookup(m, k); ok {
				_ = json.Unmarshal(raw, dst)
				return
			}
		}
	}
	num := func(keys ...string) (float64, string, bool) {
		for _, k := range keys {
			if raw, ok := lookup(m, k); ok {
				var f float64
				if json.Unmarshal(raw, &f) == nil {
					return f, k, true
				}
				var s string
				if json.Unmarshal(raw, &s) == nil {
					if d, err := time.ParseDuration(s); err == nil {
						return float64(d), "", true
					}
				}
			}
		}
		return 0, "", false
	}
	dur := func(keys ...string) time.Duration {
		f, k, ok := num(keys...)
		if !ok {
			return 0
		}
		switch {
		case strings.HasSuffix(k, "_ms") || strings.HasSuffix(k, "Ms"):
			return time.Duration(f * float64(time.Millisecond))
		case strings.HasSuffix(k, "_seconds") || strings.HasSuffix(k, "_s"):
			return time.Duration(f * float64(time.Second))
		default: // nanoseconds, as time.Duration encodes
			return time.Duration(f)
		}
	}
	str(&v.CallSid, "CallSid", "call_sid")
	str(&v.Track, "Track", "track")
	str(&v.Label, "Label", "label")
	str(&v.Vendor, "Vendor", "vendor")
	str(&v.Err, "Err", "error", "err")
	if f, _, ok := num("Index", "index", "window"); ok {
		v.Index = int(f)
	}
	if f, _, ok := num("Score", "score"); ok {
		v.Score = f
	}
	v.Start = dur("Start", "start_ms", "start_ns", "start")
	v.End = dur("End", "end_ms", "end_ns", "end")
	v.Latency = dur("Latency", "latency_ms", "vendor_latency_ms", "latency_ns", "latency")
	for _, k := range []string{"decided_at", "Decided", "decided"} {
		if raw, ok := lookup(m, k); ok {
			_ = json.Unmarshal(raw, &v.Decided)
			break
		}
	}
	if v.Label == "" {
		return v, fmt.Errorf("%w: verdict without a label", ErrEventData)
	}
	return v, nil
}

// lookup finds key in m, ignoring case.
func lookup(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Watcher follows the server's event stream (GET, Server-Sent Events).
type Watcher struct {
	// Client makes the request; nil uses http.DefaultClient.
	Client *http.Client
	// URL is the event stream, e.g. http://localhost:8080/v1/events.
	URL string
	// Token, when set, is sent as "Authorization: Bearer".
	Token string
	// LastEventID is sent as Last-Event-ID so a reconnecting watcher gets
	// the events it missed replayed; Run keeps it up to date.
	LastEventID string
	// OnReady, when set, is called once the server has accepted the
	// subscription.
	OnReady func()
	// OnEvent is called for every event, in order.
	OnEvent func(Event)
}

// Run subscribes once and delivers events until ctx is done (nil) or the
// stream ends (io.ErrUnexpectedEOF: the server closed it, e.g. because this
// watcher fell behind) or fails. Call it again to resume from LastEventID.
func (w *Watcher) Run(ctx context.Context) error {
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL, nil)
	if err != nil {
		return fmt.Errorf("sim: events: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if w.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token)
	}
	if w.LastEventID != "" {
		req.Header.Set("Last-Event-ID", w.LastEventID)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("sim: events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &HTTPError{Op: "events", Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if w.OnReady != nil {
		w.OnReady()
	}
	r := NewSSEReader(resp.Body)
	for {
		m, err := r.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if m.ID != "" {
			w.LastEventID = m.ID
		}
		e, err := DecodeEvent(m)
		if err != nil {
			continue // not an event of ours (e.g. a bare keep-alive message)
		}
		e.Received = time.Now()
		if w.OnEvent != nil {
			w.OnEvent(e)
		}
	}
}

// HTTPError is an unexpected HTTP status from the server.
type HTTPError struct {
	Op     string // "voice webhook", "events", ...
	Status int
	Body   string
}

// Error implements error.
func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("sim: %s: HTTP %d", e.Op, e.Status)
	}
	return fmt.Sprintf("sim: %s: HTTP %d: %s", e.Op, e.Status, e.Body)
}
