package notify

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxBatch bounds how many queued events one flush carries.
const maxBatch = 64

// ServeSSE streams events as Server-Sent Events (text/event-stream). Each
// event is a frame
//
//	id: <Event.ID>
//	event: <Event.Type>
//	data: <Event as JSON>
//
// The query selects events: ?call=CA…&type=verdict,alert (see
// ParseFilter), within what HubOptions.Authorize allows. A Last-Event-ID
// header (sent by EventSource when it reconnects), or a last_event_id
// query parameter for the first connection, replays the events after that
// ID still in history; when some may be missing a "gap" event (TypeGap)
// comes first. The stream opens with a ":ok" comment, carries ": ping"
// comments as heartbeats and ends when the watcher falls QueueSize
// events behind, when the Hub is closed, or when the client goes away.
//
// A watcher that falls behind is cut off at once, even while a write to
// it is blocked (the client stopped reading): the connection's write
// deadline is moved to the past, which fails that write, so the stream
// may end in the middle of a frame. A spec-following client drops the
// incomplete frame and resumes from the last complete one's ID.
func (h *Hub) ServeSSE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	cut := &cutter{rc: http.NewResponseController(w)}
	s, replay, gap, ok := h.watch(w, r, true, cut)
	if !ok {
		return
	}
	defer h.unsubscribe(s)
	defer cut.disarm()
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	buf := make([]byte, 0, 4096)
	buf = append(buf, ":ok\n\n"...)
	if h.opts.Retry > 0 {
		buf = append(buf, "retry: "...)
		buf = strconv.AppendInt(buf, h.opts.Retry.Milliseconds(), 10)
		buf = append(buf, "\n\n"...)
	}
	if gap != nil {
		if ent, err := newEntry(*gap, 0); err == nil {
			buf = append(buf, ent.sse...)
		}
	}
	// The write deadline is moved forward only when less than half of
	// WriteTimeout is left: resetting it costs more than the write itself
	// on a fast connection, and every write still gets at least half.
	var deadline time.Time
	flush := func() bool {
		if now := time.Now(); deadline.Sub(now) < h.opts.WriteTimeout/2 {
			deadline = now.Add(h.opts.WriteTimeout)
			if !cut.setDeadline(deadline) {
				return false // evicted
			}
		}
		if _, err := w.Write(buf); err != nil {
			h.log.Debug("notify: sse write", "err", err)
			return false
		}
		buf = buf[:0]
		if err := cut.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			h.log.Debug("notify: sse flush", "err", err)
			return false
		}
		return true
	}
	for _, ent := range replay {
		buf = append(buf, ent.sse...)
		if len(buf) >= 32<<10 && !flush() {
			return
		}
	}
	if !flush() {
		return
	}

	h.pump(r.Context(), s, sink{
		send: func(batch []*entry) bool {
			for _, ent := range batch {
				buf = append(buf, ent.sse...)
			}
			return flush()
		},
		heartbeat: func() bool {
			buf = append(buf, ": ping\n\n"...)
			return flush()
		},
		// Evicted: the stream ends, and the client resumes with
		// Last-Event-ID.
		evicted: func() { h.log.Info("notify: sse watcher cut off: slow consumer", "remote", r.RemoteAddr) },
		closed:  func() {},
	})
}

// cutter lets Notify abort an SSE handler's write in progress when it
// evicts the watcher. fire moves the connection's write deadline to the
// past, so a Write blocked on a client that stopped reading fails at once
// instead of after WriteTimeout. The handler sets every other deadline
// through setDeadline, so none can undo the cut, and disarms the cutter
// before it returns, after which the connection is no longer touched
// (the server may reuse it for another request).
type cutter struct {
	rc *http.ResponseController

	mu       sync.Mutex
	fired    bool
	disarmed bool
}

// fire cuts the connection's writes short. It is a no-op on a nil cutter
// (WebSocket watchers close with 1008 instead), after disarm, or twice.
func (c *cutter) fire() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired || c.disarmed {
		return
	}
	c.fired = true
	_ = c.rc.SetWriteDeadline(time.Now())
}

// setDeadline sets the write deadline to t and reports true, or reports
// false once fire has run.
func (c *cutter) setDeadline(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		return false
	}
	_ = c.rc.SetWriteDeadline(t)
	return true
}

// disarm stops fire from touching the connection and clears the write
// deadline so the server can end the response.
func (c *cutter) disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disarmed = true
	_ = c.rc.SetWriteDeadline(time.Time{})
}

// appendSSE appends one SSE frame to b. Fields are split at line breaks
// as the HTML specification requires, so any data survives the framing.
func appendSSE(b []byte, id, typ string, data []byte) []byte {
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	if typ != "" {
		b = append(b, "event: "...)
		b = append(b, typ...)
		b = append(b, '\n')
	}
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		b = append(b, "data: "...)
		b = append(b, data[:i]...)
		b = append(b, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
