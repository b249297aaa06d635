package notify

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
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
func (h *Hub) ServeSSE(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	s, replay, gap, ok := h.watch(w, r, true)
	if !ok {
		return
	}
	defer h.unsubscribe(s)

	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{})
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
			_ = rc.SetWriteDeadline(deadline)
		}
		if _, err := w.Write(buf); err != nil {
			h.log.Debug("notify: sse write", "err", err)
			return false
		}
		buf = buf[:0]
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
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
