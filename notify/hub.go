package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Defaults for the zero HubOptions.
const (
	DefaultQueueSize    = 64
	DefaultHistorySize  = 1024
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 10 * time.Second
)

// Hub errors.
var (
	// ErrClosed is returned by Notify after Close, and makes new
	// subscriptions fail with 503 Service Unavailable.
	ErrClosed = errors.New("notify: hub closed")
	// ErrStaleID is returned by Notify for an event whose ID is not
	// greater than the last ID the Hub accepted. The event is not
	// published: a Hub delivers IDs in increasing order, and a repeated ID
	// is a duplicate.
	ErrStaleID = errors.New("notify: event id not increasing")
	// ErrBadLastEventID reports a Last-Event-ID that is not a decimal ID.
	ErrBadLastEventID = errors.New("notify: bad Last-Event-ID")
	// ErrUnauthorized may be returned (wrapped) by HubOptions.Authorize to
	// answer 401 Unauthorized instead of 403 Forbidden.
	ErrUnauthorized = errors.New("notify: unauthorized")
)

// HubOptions configures a Hub. The zero value is usable.
type HubOptions struct {
	// Authorize decides what the watcher making r may see. An error
	// refuses the subscription: 401 when it wraps ErrUnauthorized, 403
	// otherwise. The returned Filter is combined with the one in the
	// request's query. Nil lets every watcher see every event.
	Authorize func(r *http.Request) (Filter, error)

	// QueueSize bounds the events waiting to be written to one watcher.
	// A watcher whose queue is full is cut off. Default DefaultQueueSize.
	QueueSize int

	// HistorySize is how many recent events the Hub keeps to replay to
	// watchers that resume with Last-Event-ID. Default DefaultHistorySize;
	// negative keeps none.
	HistorySize int

	// Heartbeat is the interval of SSE comment lines and WebSocket pings
	// that keep idle connections open. Default DefaultHeartbeat; negative
	// disables them.
	Heartbeat time.Duration

	// WriteTimeout bounds each write to a watcher (and each WebSocket
	// ping): a watcher that accepts no data for that long is dropped. SSE
	// writes get between half of it and all of it. Default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Retry, when positive, is sent to SSE watchers as the "retry:" field:
	// how long an EventSource waits before reconnecting.
	Retry time.Duration

	// AcceptOptions is passed to websocket.Accept by ServeWS (origin
	// checks, compression). Nil uses coder/websocket's defaults, which
	// accept same-origin browsers only.
	AcceptOptions *websocket.AcceptOptions

	// Logger receives watcher evictions and write errors. Nil discards.
	Logger *slog.Logger
}

// Hub fans events out to watchers over Server-Sent Events (ServeSSE) and
// WebSocket (ServeWS). It is a Notifier; Notify never waits for a
// watcher.
//
// Event IDs: an event published with an empty ID gets the next ID from
// the Hub: max(last ID + 1, microseconds since the Unix epoch), so IDs
// keep increasing across restarts of the process. An event that already
// carries an ID (for example from package pgnotify, which numbers events
// from a PostgreSQL sequence so that every replica agrees) keeps it, and
// must be greater than every ID the Hub accepted before, or Notify returns
// ErrStaleID. Use one scheme per Hub: time-based own IDs are larger than
// any sequence number.
//
// Replay: the Hub keeps the last HistorySize events. A watcher resuming
// from an ID gets the events after it that are still there. When the Hub
// cannot vouch that it has them all (the ID is older than its history, or
// it has published nothing since it started) a TypeGap event comes first.
// An ID the Hub has not reached yet (another replica is ahead) is not an
// error: events up to it are skipped.
//
// Fan-out: Notify marshals an event once, links it into a list that
// watchers of every call read at their own pace (one wake-up for all of
// them), and queues it for the watchers of its call. Writing to the
// network happens on each watcher's handler goroutine, never under the
// Hub's lock.
type Hub struct {
	opts HubOptions
	log  *slog.Logger

	mu       sync.Mutex
	closed   bool
	last     uint64 // last accepted ID
	base     uint64 // IDs <= base are not all known; valid when haveBase
	haveBase bool
	hist     history
	tail     *entry            // newest entry; firehose watchers wait on tail.ready
	fire     []*sub            // watchers of every call
	byCall   map[string][]*sub // watchers of given calls
	watchers int
	handlers sync.WaitGroup

	published atomic.Uint64
	evicted   atomic.Uint64
}

// HubStats is a snapshot of a Hub's counters.
type HubStats struct {
	// Watchers is the number of current subscriptions.
	Watchers int
	// Published counts events accepted by Notify.
	Published uint64
	// Evicted counts watchers cut off because their queue was full.
	Evicted uint64
	// LastID is the ID of the last accepted event, or "".
	LastID string
}

// NewHub returns a Hub configured by opts.
func NewHub(opts HubOptions) *Hub {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	switch {
	case opts.HistorySize == 0:
		opts.HistorySize = DefaultHistorySize
	case opts.HistorySize < 0:
		opts.HistorySize = 0
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		opts:   opts,
		log:    log,
		hist:   history{buf: make([]*entry, opts.HistorySize)},
		tail:   &entry{ready: make(chan struct{})},
		byCall: make(map[string][]*sub),
	}
}

// Notify publishes e to every watcher whose filter matches it. It never
// blocks on a watcher: a watcher whose queue is full is cut off. An
// event with a zero Time is stamped with the current time. ctx is not
// used: publishing does not wait.
func (h *Hub) Notify(_ context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	var ent *entry
	if e.ID != "" {
		// The ID is known: marshal before taking the lock.
		id, _ := parseID(e.ID) // validated above
		var err error
		if ent, err = newEntry(e, id); err != nil {
			return err
		}
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if ent == nil {
		id := max(h.last+1, uint64(max(time.Now().UnixMicro(), 0)))
		e.ID = formatID(id)
		var err error
		if ent, err = newEntry(e, id); err != nil {
			h.mu.Unlock()
			return err
		}
	} else if ent.id <= h.last {
		last := h.last
		h.mu.Unlock()
		return fmt.Errorf("%w: %d after %d", ErrStaleID, ent.id, last)
	}
	if !h.haveBase {
		h.base, h.haveBase = ent.id-1, true
	}
	h.last = ent.id
	if old := h.hist.push(ent); old != nil {
		h.base = old.id
	}
	wake := h.link(ent)
	victims := h.fanOutLocked(ent)
	h.mu.Unlock()
	// Waking the firehose watchers happens outside the lock, in one
	// operation however many there are.
	close(wake)

	h.published.Add(1)
	for _, s := range victims {
		// A victim's handler may be blocked writing to a client that
		// stopped reading: cut that write short now rather than after
		// WriteTimeout.
		s.cut.fire()
	}
	if len(victims) > 0 {
		h.evicted.Add(uint64(len(victims)))
		h.log.Warn("notify: watchers cut off: slow consumer", "count", len(victims), "event_id", e.ID)
	}
	return nil
}

func newEntry(e Event, id uint64) (*entry, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return &entry{id: id, ev: e, json: b, sse: appendSSE(nil, e.ID, e.Type, b)}, nil
}

// Stats returns a snapshot of the Hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	st := HubStats{Watchers: h.watchers}
	if h.last > 0 {
		st.LastID = formatID(h.last)
	}
	h.mu.Unlock()
	st.Published = h.published.Load()
	st.Evicted = h.evicted.Load()
	return st
}

// Close ends every subscription: each watcher is sent what is already in
// its queue, then SSE streams end and WebSocket connections close with
// status 1001 (going away). New subscriptions get 503 and Notify returns
// ErrClosed. Close does not wait for the handlers to return; Shutdown
// does. Close is idempotent and always returns nil.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		for _, s := range h.fire {
			s.stopLocked(stopClosed)
		}
		for _, list := range h.byCall {
			for _, s := range list {
				s.stopLocked(stopClosed)
			}
		}
	}
	return nil
}

// Shutdown closes the Hub like Close and waits until every ServeSSE and
// ServeWS handler has returned, or ctx is done.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.Close()
	finished := make(chan struct{})
	go func() {
		h.handlers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notify: hub shutdown: %w", ctx.Err())
	}
}

// watch authorizes r, reads its filter and Last-Event-ID and subscribes.
// On failure it has written the HTTP error.
func (h *Hub) watch(w http.ResponseWriter, r *http.Request, queryLastID bool, cut *cutter) (*sub, []*entry, *Event, bool) {
	allowed := Filter{}
	if h.opts.Authorize != nil {
		var err error
		allowed, err = h.opts.Authorize(r)
		if err != nil {
			status := http.StatusForbidden
			if errors.Is(err, ErrUnauthorized) {
				status = http.StatusUnauthorized
			}
			http.Error(w, http.StatusText(status), status)
			return nil, nil, nil, false
		}
	}
	asked, err := ParseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, nil, nil, false
	}
	f, ok := intersect(allowed, asked)
	if !ok {
		http.Error(w, "notify: filter asks for events this watcher may not see", http.StatusForbidden)
		return nil, nil, nil, false
	}
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" && queryLastID {
		raw = r.URL.Query().Get("last_event_id")
	}
	var lastID uint64
	if raw != "" {
		// 0 is accepted: before every event.
		if lastID, err = strconv.ParseUint(raw, 10, 64); err != nil {
			http.Error(w, fmt.Sprintf("%v: %q", ErrBadLastEventID, raw), http.StatusBadRequest)
			return nil, nil, nil, false
		}
	}
	s, replay, gap, err := h.subscribe(f, lastID, raw != "", cut)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return nil, nil, nil, false
	}
	return s, replay, gap, true
}

// parseID parses a decimal event ID.
func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%w: id %q is not a positive decimal integer", ErrInvalidEvent, s)
	}
	return id, nil
}

func formatID(id uint64) string { return strconv.FormatUint(id, 10) }
