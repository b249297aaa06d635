package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 128

// errStoreClosed is returned to writes queued when the store closes.
var errStoreClosed = errors.New("store: closed")

// batcher commits the hot writes (verdicts and events: one of each per
// window per call) in shared transactions. A write that finds the batcher
// idle runs at once, alone; writes that arrive while a transaction is open
// queue and go together into the next one (group commit). Under load this
// turns hundreds of transactions a second, each a BEGIN, a COMMIT and (on
// SQLite, whose single write connection serialises them) a wait for the
// one before, into a few: a thousand live calls store their verdicts
// without a queue building up in front of the database.
//
// A write that fails for its own reasons (a verdict for an unknown
// detection, say) makes the batch roll back and its writes run again one
// transaction each, so that only it reports an error. A transaction that
// fails as a whole with a retryable error is run again, every write in it
// included: the batched writes are idempotent.
type batcher struct {
	s       *sqlStore
	workers int // batches in flight at once
	reqs    chan *batchReq
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once // starts the loop (or, at close, stands for it)
	shut    sync.Once // closes stop

	// gate, when set (tests only), is received from before each batch is
	// gathered, so a test can queue writes behind it.
	gate chan struct{}
	// batches counts the batches run (each one transaction unless a write
	// in it failed on its own), for tests.
	batches atomic.Int64
}

// batchReq is one write: fn runs on the batch's transaction with the
// batch's context (never the caller's, whose cancellation must not abort
// the other writes in the transaction).
type batchReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, q querier) error
	done chan error
}

// newBatcher returns s's batcher. SQLite has one write connection, so one
// batch at a time; PostgreSQL runs a few side by side, because there every
// statement is a round trip to a server process that shares the machine's
// cores, and one batch at a time would queue every write behind them.
func newBatcher(s *sqlStore) *batcher {
	workers := 1
	if s.backend == Postgres {
		workers = postgresBatchers
	}
	return &batcher{s: s, workers: workers, reqs: make(chan *batchReq, maxBatch),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// postgresBatchers is how many batches a PostgreSQL store commits at once.
const postgresBatchers = 4

// do runs fn in a batched transaction and returns its error, or ctx's when
// ctx ends first (the write may then still be committed: callers' writes
// are idempotent).
func (b *batcher) do(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	select {
	case <-b.stop:
		return errStoreClosed
	default:
	}
	b.once.Do(b.start)
	r := &batchReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-b.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-b.done: // closed after r was queued and the queue drained
		select {
		case err := <-r.done:
			return err
		default:
			return errStoreClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the loop after the batch in progress; queued writes get
// errStoreClosed. It may be called more than once.
func (b *batcher) close() {
	b.shut.Do(func() { close(b.stop) })
	b.once.Do(func() { close(b.done) }) // never started
	<-b.done
}

// start runs the batcher's loops; done closes when all have stopped.
func (b *batcher) start() {
	var wg sync.WaitGroup
	for range b.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.loop()
		}()
	}
	go func() {
		wg.Wait()
		close(b.done)
	}()
}

func (b *batcher) loop() {
	batch := make([]*batchReq, 0, maxBatch)
	for {
		if b.gate != nil {
			select {
			case <-b.gate:
			case <-b.stop:
				b.drain()
				return
			}
		}
		var first *batchReq
		select {
		case first = <-b.reqs:
		case <-b.stop:
			b.drain()
			return
		}
		batch = append(batch[:0], first)
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		b.run(batch)
	}
}

// drain answers the writes still queued at close.
func (b *batcher) drain() {
	for {
		select {
		case r := <-b.reqs:
			r.done <- errStoreClosed
		default:
			return
		}
	}
}

// run commits one batch, retrying the transaction as inTx does, and
// answers every write in it.
func (b *batcher) run(batch []*batchReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err // gone before its turn: not written
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	b.batches.Add(1)
	// The batch's context is its own: a caller giving up must not cancel
	// the others' statements. It ends at the latest of the callers'
	// deadlines (none if one of them has none).
	ctx := context.Background()
	var latest time.Time
	for _, r := range live {
		d, ok := r.ctx.Deadline()
		if !ok {
			latest = time.Time{}
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	if !latest.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, latest)
		defer cancel()
	}
	// The common case: every write succeeds, in one transaction with no
	// per-write savepoints (on PostgreSQL each statement is a round trip).
	// When one fails for its own reasons (an unknown detection, say), the
	// transaction is rolled back and each write runs again in its own, so
	// that only the failing one reports an error.
	var failed bool
	err := b.s.inTx(ctx, func(tx querier) error {
		for _, r := range live {
			if err := r.fn(ctx, tx); err != nil {
				failed = !retryable(err)
				return err // retryable: the connection or transaction is gone, inTx runs it all again
			}
		}
		return nil
	})
	if err != nil && failed {
		for _, r := range live {
			r.done <- b.s.inTx(ctx, func(tx querier) error { return r.fn(ctx, tx) })
		}
		return
	}
	for _, r := range live {
		r.done <- err
	}
}
