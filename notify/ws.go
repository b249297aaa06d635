package notify

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// ServeWS streams events over WebSocket (github.com/coder/websocket), one
// text message per event holding the Event as JSON:
//
//	{"id":"…","type":"verdict","call_sid":"CA…","time":"…","data":{…}}
//
// Filters, authorization and replay work as in ServeSSE; a client resumes
// with ?last_event_id=<id> (or a Last-Event-ID header). Messages from the
// client are not expected: a data message closes the connection. A
// watcher that falls QueueSize events behind is closed with status 1008
// (policy violation) and reason "slow consumer"; Close closes every
// connection with status 1001 (going away).
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	s, replay, gap, ok := h.watch(w, r, true, nil)
	if !ok {
		return
	}
	defer h.unsubscribe(s)

	c, err := websocket.Accept(w, r, h.opts.AcceptOptions)
	if err != nil {
		h.log.Debug("notify: websocket accept", "err", err)
		return
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())

	write := func(msg []byte) bool {
		wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
		defer cancel()
		if err := c.Write(wctx, websocket.MessageText, msg); err != nil {
			h.log.Debug("notify: websocket write", "err", err)
			return false
		}
		return true
	}
	if gap != nil {
		if ent, err := newEntry(*gap, 0); err == nil && !write(ent.json) {
			return
		}
	}
	for _, ent := range replay {
		if !write(ent.json) {
			return
		}
	}

	h.pump(ctx, s, sink{
		send: func(batch []*entry) bool {
			for _, ent := range batch {
				if !write(ent.json) {
					return false
				}
			}
			return true
		},
		heartbeat: func() bool {
			pctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
			defer cancel()
			if err := c.Ping(pctx); err != nil {
				h.log.Debug("notify: websocket ping", "err", err)
				return false
			}
			return true
		},
		evicted: func() {
			h.log.Info("notify: websocket watcher cut off: slow consumer", "remote", r.RemoteAddr)
			c.Close(websocket.StatusPolicyViolation, "slow consumer")
		},
		closed: func() { c.Close(websocket.StatusGoingAway, "hub closed") },
	})
}
