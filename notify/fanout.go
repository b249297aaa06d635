package notify

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"time"
)

// Fan-out works in two ways, chosen per watcher by its filter.
//
// Watchers of every call (no CallSids in their filter: dashboards, the
// benchmark's 10,000 streams) share one list of entries. Each waits on the
// ready channel of the newest entry it has seen; Notify links the next
// entry and closes that channel, which wakes all of them at once, outside
// the Hub's lock. Each watcher walks the list at its own pace and applies
// its own filter. Notify only reads each one's position to cut off those
// more than QueueSize entries behind.
//
// Watchers of given calls (an agent's screen) get a buffered channel
// each, indexed by call: Notify hands an entry only to the watchers of
// its call, so events of other calls cost them nothing. A full channel
// means the watcher is cut off.

// entry is one published event, marshalled once for every watcher.
type entry struct {
	id   uint64
	ev   Event
	json []byte // the Event as JSON: WebSocket message and SSE data
	sse  []byte // the complete SSE frame

	seq   uint64                // position in the list
	next  atomic.Pointer[entry] // set once, under Hub.mu
	ready chan struct{}         // closed once next is set
}

// sub is one watcher's subscription.
type sub struct {
	filter Filter
	after  uint64  // deliver only IDs greater than this
	gone   bool    // removed from the Hub; under Hub.mu
	cut    *cutter // nil, or aborts a write in progress on eviction

	// stop is closed, once and under Hub.mu, when the watcher must stop:
	// evicted, the Hub closed, or its context done; why says which. One
	// channel for all three keeps the handler's wait short: it waits on
	// the list (or its queue), stop and the heartbeat ticker only, and
	// no channel shared by every watcher besides the list's.
	stop    chan struct{}
	why     stopReason // set before stop is closed
	stopped bool       // stop is closed; under Hub.mu

	// Watchers of given calls.
	ch chan *entry

	// Watchers of every call.
	cur *entry        // last entry walked; owned by the handler
	pos atomic.Uint64 // cur.seq, for Notify's lag check
	idx int           // position in Hub.fire
}

// stopReason says why a watcher's stop channel was closed.
type stopReason uint8

const (
	stopEvicted stopReason = iota + 1 // fell QueueSize events behind
	stopClosed                        // the Hub was closed
	stopDone                          // the handler's context ended
)

// stopLocked closes s.stop for the reason why, unless it is already
// closed. Called with h.mu held.
func (s *sub) stopLocked(why stopReason) {
	if s.stopped {
		return
	}
	s.why, s.stopped = why, true
	close(s.stop)
}

// link appends ent to the list and returns the channel to close to wake
// the watchers waiting for it. Called with h.mu held.
func (h *Hub) link(ent *entry) chan struct{} {
	old := h.tail
	ent.seq = old.seq + 1
	ent.ready = make(chan struct{})
	old.next.Store(ent)
	h.tail = ent
	return old.ready
}

// fanOutLocked queues ent for the watchers of its call and evicts the
// watchers that fell behind. Called with h.mu held.
func (h *Hub) fanOutLocked(ent *entry) []*sub {
	var victims []*sub
	q := uint64(h.opts.QueueSize)
	for _, s := range h.fire {
		if ent.seq-s.pos.Load() > q {
			victims = append(victims, s)
		}
	}
	for _, s := range h.byCall[ent.ev.CallSid] {
		if ent.id <= s.after || !s.filter.Match(ent.ev) {
			continue
		}
		select {
		case s.ch <- ent:
		default:
			victims = append(victims, s)
		}
	}
	for _, s := range victims {
		h.removeLocked(s)
		s.stopLocked(stopEvicted)
	}
	return victims
}

// subscribe registers a watcher. With hasLast it also returns the events
// after lastID still in history and, when events after lastID may have
// been dropped from history, a TypeGap event. cut, when not nil, is fired
// by Notify if the watcher is evicted.
func (h *Hub) subscribe(f Filter, lastID uint64, hasLast bool, cut *cutter) (*sub, []*entry, *Event, error) {
	s := &sub{filter: f, stop: make(chan struct{}), cut: cut}
	if len(f.CallSids) > 0 {
		s.ch = make(chan *entry, h.opts.QueueSize)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, nil, ErrClosed
	}
	var replay []*entry
	var gap *Event
	if hasLast {
		s.after = lastID
		for _, ent := range h.hist.after(lastID) {
			if f.Match(ent.ev) {
				replay = append(replay, ent)
			}
		}
		if !h.haveBase || lastID < h.base {
			info := GapInfo{LastEventID: formatID(lastID)}
			if oldest := h.hist.oldest(); oldest != nil {
				info.OldestID = oldest.ev.ID
			}
			data, _ := json.Marshal(info)
			gap = &Event{Type: TypeGap, Time: time.Now().UTC(), Data: data}
		}
	}
	if s.ch != nil {
		for _, c := range f.CallSids {
			h.byCall[c] = append(h.byCall[c], s)
		}
	} else {
		s.cur = h.tail
		s.pos.Store(h.tail.seq)
		s.idx = len(h.fire)
		h.fire = append(h.fire, s)
	}
	h.watchers++
	h.handlers.Add(1)
	return s, replay, gap, nil
}

// unsubscribe removes s (if Notify has not already) and marks its
// handler finished.
func (h *Hub) unsubscribe(s *sub) {
	h.mu.Lock()
	if !s.gone {
		h.removeLocked(s)
	}
	h.mu.Unlock()
	h.handlers.Done()
}

func (h *Hub) removeLocked(s *sub) {
	s.gone = true
	h.watchers--
	if s.ch != nil {
		for _, c := range s.filter.CallSids {
			list := slices.DeleteFunc(h.byCall[c], func(x *sub) bool { return x == s })
			if len(list) == 0 {
				delete(h.byCall, c)
			} else {
				h.byCall[c] = list
			}
		}
		return
	}
	i, n := s.idx, len(h.fire)-1
	h.fire[i] = h.fire[n]
	h.fire[i].idx = i
	h.fire[n] = nil
	h.fire = h.fire[:n]
}

// collect appends up to maxBatch events waiting for s without blocking.
func (s *sub) collect(batch []*entry) []*entry {
	if s.ch != nil {
		for len(batch) < maxBatch {
			select {
			case ent := <-s.ch:
				batch = append(batch, ent)
			default:
				return batch
			}
		}
		return batch
	}
	for walked := 0; walked < maxBatch; walked++ {
		next := s.cur.next.Load()
		if next == nil {
			break
		}
		s.cur = next
		if next.id > s.after && s.filter.Match(next.ev) {
			batch = append(batch, next)
		}
	}
	s.pos.Store(s.cur.seq)
	return batch
}

// sink is how a handler writes to its watcher.
type sink struct {
	send      func([]*entry) bool // false: the connection failed
	heartbeat func() bool
	evicted   func()
	closed    func() // the Hub was closed
}

// pump delivers events to one watcher until it is evicted, the Hub
// closes, ctx ends or a write fails.
func (h *Hub) pump(ctx context.Context, s *sub, k sink) {
	var tick <-chan time.Time
	if h.opts.Heartbeat > 0 {
		t := time.NewTicker(h.opts.Heartbeat)
		defer t.Stop()
		tick = t.C
	}
	release := context.AfterFunc(ctx, func() {
		h.mu.Lock()
		s.stopLocked(stopDone)
		h.mu.Unlock()
	})
	defer release()
	batch := make([]*entry, 0, maxBatch)
	for {
		select {
		case <-s.stop:
			// Checked first: a cut-off watcher gets nothing more.
			h.finish(s, k, batch)
			return
		default:
		}
		var wake <-chan struct{}
		if s.ch == nil {
			wake = s.cur.ready
		}
		select {
		case ent := <-s.ch: // nil for watchers of every call
			batch = s.collect(append(batch[:0], ent))
		case <-wake:
			batch = s.collect(batch[:0])
		case <-s.stop:
			h.finish(s, k, batch)
			return
		case <-tick:
			if !k.heartbeat() {
				return
			}
			continue
		}
		if len(batch) > 0 && !k.send(batch) {
			return
		}
	}
}

// finish ends a watcher whose stop channel is closed.
func (h *Hub) finish(s *sub, k sink, batch []*entry) {
	switch s.why {
	case stopEvicted:
		k.evicted()
	case stopClosed:
		// Deliver what was published before Close, then end.
		for {
			batch = s.collect(batch[:0])
			if len(batch) == 0 || !k.send(batch) {
				break
			}
		}
		k.closed()
	}
}
