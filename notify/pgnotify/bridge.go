package pgnotify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callguard/callguard/internal/ctxwait"
	"github.com/callguard/callguard/notify"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for the zero Options.
const (
	DefaultRetention     = 24 * time.Hour
	DefaultPruneInterval = 10 * time.Minute
	DefaultPollInterval  = 30 * time.Second
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
	DefaultBatchSize     = 500
	// DefaultPublishAttempts is the zero Options.PublishAttempts.
	DefaultPublishAttempts = 5
)

// Bridge errors.
var (
	// ErrRunning is returned by Run when the Bridge is already running.
	ErrRunning = errors.New("pgnotify: bridge already running")
	// ErrBadOptions is wrapped by the errors New returns for arguments
	// it cannot work with.
	ErrBadOptions = errors.New("pgnotify: bad options")
)

// lockClass namespaces the advisory lock that orders publishers
// ("cgrd").
const lockClass int32 = 0x63677264

// Options configures a Bridge. The zero value is usable.
type Options struct {
	// Table holds the events; it may be schema-qualified. Default
	// DefaultTable. Every replica must use the same one.
	Table string
	// Channel is the NOTIFY channel. Default: Table.
	Channel string
	// Retention is how long rows are kept. A replica disconnected for
	// longer than this misses what was pruned. Default DefaultRetention.
	Retention time.Duration
	// PruneInterval is how often Run deletes rows older than Retention.
	// Default DefaultPruneInterval; negative disables pruning.
	PruneInterval time.Duration
	// PollInterval is how long the listener waits for a notification
	// before reading the table anyway. Default DefaultPollInterval.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential wait
	// before reconnecting. Defaults DefaultMinBackoff, DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Backfill is how many of the latest stored events Run delivers when
	// it first starts, so a fresh replica's Hub can replay them to
	// watchers that resume. Default 0: only events published after Run
	// starts.
	Backfill int
	// BatchSize bounds the rows read per catch-up query. Default
	// DefaultBatchSize.
	BatchSize int
	// PublishAttempts bounds how often Publish tries to store an event
	// when the connection is lost or the server shuts it down. Retries
	// are idempotent (each Publish carries a unique key), so an event is
	// stored once even when an attempt committed but its answer was lost.
	// Default DefaultPublishAttempts.
	PublishAttempts int
	// Logger receives reconnects and delivery errors. Nil discards.
	Logger *slog.Logger
}

// Stats is a snapshot of a Bridge's counters.
type Stats struct {
	// Published counts events this Bridge stored.
	Published uint64
	// Delivered counts events handed to the local Notifier.
	Delivered uint64
	// Reconnects counts listener connections lost and re-established.
	Reconnects uint64
	// Pruned counts rows deleted by pruning.
	Pruned uint64
	// LastID is the ID of the last event delivered (0 before any).
	LastID int64
	// ListenerPID is the backend process ID of the listening connection
	// once it listens and has caught up; 0 while disconnected. Events
	// published after it turns non-zero are delivered.
	ListenerPID uint32
}

// Bridge carries events between replicas through PostgreSQL. Its Notify
// stores the event in the table and NOTIFYs its ID; Run listens on a
// dedicated connection and hands every stored event, from any replica,
// to the local Notifier (usually a *notify.Hub) once, in ID order, with
// Event.ID set to the row's ID.
//
// Events are not delivered locally by Notify itself: the replica that
// publishes an event gets it back through Run like every other, which
// keeps one order and no duplicates. Publishers hold a transaction-scoped
// advisory lock while they insert, so rows become visible in ID order and
// a listener reading "id > last" never skips one that commits late.
// Publishing is therefore serialised across replicas, at the cost of one
// round trip per event.
type Bridge struct {
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig
	local   notify.Notifier
	opts    Options
	log     *slog.Logger
	table   string // quoted
	lockKey int32

	running  atomic.Bool
	ready    chan struct{} // closed when first listening and caught up
	onReady  sync.Once
	started  bool  // Run has chosen its starting point; owned by Run
	last     int64 // last delivered ID; owned by Run, mirrored in lastID
	lastPrun time.Time

	published, delivered, reconnects, pruned atomic.Uint64
	lastID                                   atomic.Int64
	pid                                      atomic.Uint32
}

// New returns a Bridge that stores events through pool and delivers them
// to local. The listener opens its own connection with pool's
// configuration. Call CreateSchema (or run Schema in migrations) and Run.
// A nil pool or local Notifier, or a Channel PostgreSQL cannot LISTEN on,
// gives an error wrapping ErrBadOptions.
func New(pool *pgxpool.Pool, local notify.Notifier, opts Options) (*Bridge, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrBadOptions)
	}
	if local == nil {
		return nil, fmt.Errorf("%w: nil local notifier", ErrBadOptions)
	}
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	if opts.Channel == "" {
		opts.Channel = opts.Table
	}
	if len(opts.Channel) > 63 {
		return nil, fmt.Errorf("%w: channel %q longer than 63 bytes", ErrBadOptions, opts.Channel)
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.PruneInterval == 0 {
		opts.PruneInterval = DefaultPruneInterval
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.PublishAttempts <= 0 {
		opts.PublishAttempts = DefaultPublishAttempts
	}
	if opts.Backfill < 0 {
		opts.Backfill = 0
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := fnv.New32a()
	h.Write([]byte(opts.Table))
	return &Bridge{
		pool:    pool,
		connCfg: pool.Config().ConnConfig,
		local:   local,
		opts:    opts,
		log:     log,
		table:   ident(opts.Table),
		lockKey: int32(h.Sum32()),
		ready:   make(chan struct{}),
	}, nil
}

// Notify stores e and notifies every replica; see Publish.
func (b *Bridge) Notify(ctx context.Context, e notify.Event) error {
	_, err := b.Publish(ctx, e)
	return err
}

// Publish stores e (any ID it carries is replaced by the table's) and
// NOTIFYs its ID, in one transaction. It returns the event as stored.
// The local Notifier receives it from Run, not from Publish. If Publish
// fails the event may or may not have been stored (a commit whose answer
// was lost); a retry can then publish it twice.
func (b *Bridge) Publish(ctx context.Context, e notify.Event) (notify.Event, error) {
	e.ID = ""
	if err := e.Validate(); err != nil {
		return e, err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	var data any
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	key, err := publishKey()
	if err != nil {
		return e, fmt.Errorf("pgnotify: publish: %w", err)
	}
	return b.publish(ctx, e, data, key)
}

// publish stores e under key, retrying transient failures; a key already
// stored means an earlier attempt committed, and its ID is returned.
func (b *Bridge) publish(ctx context.Context, e notify.Event, data any, key string) (notify.Event, error) {
	q := `WITH l AS (SELECT pg_advisory_xact_lock($1::int4, $2::int4)),
ins AS (INSERT INTO ` + b.table + ` (type, call_sid, time, data, publish_key)
	SELECT $3::text, $4::text, $5::timestamptz, $6::json, $8::text FROM l
	ON CONFLICT (publish_key) DO NOTHING RETURNING id)
SELECT id, pg_notify($7::text, id::text) FROM ins`
	var id int64
	backoff := b.opts.MinBackoff
	for attempt := 1; ; attempt++ {
		err := b.pool.QueryRow(ctx, q, lockClass, b.lockKey, e.Type, e.CallSid, e.Time, data, b.opts.Channel, key).Scan(&id, nil)
		if errors.Is(err, pgx.ErrNoRows) {
			// An earlier attempt committed before its connection was lost:
			// the row (and its NOTIFY) exist already.
			err = b.pool.QueryRow(ctx, `SELECT id FROM `+b.table+` WHERE publish_key = $1`, key).Scan(&id)
		}
		if err == nil {
			break
		}
		if attempt >= b.opts.PublishAttempts || !retryable(err) || ctx.Err() != nil {
			return e, fmt.Errorf("pgnotify: publish (attempt %d): %w", attempt, err)
		}
		b.log.Warn("pgnotify: publish failed, retrying", "attempt", attempt, "err", err)
		if err := ctxwait.Sleep(ctx, backoff); err != nil {
			return e, fmt.Errorf("pgnotify: publish: %w", err)
		}
		backoff = min(2*backoff, b.opts.MaxBackoff)
	}
	b.published.Add(1)
	e.ID = formatID(id)
	return e, nil
}

// publishKey returns a random key that makes retries of one Publish
// idempotent.
func publishKey() (string, error) {
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(k[:]), nil
}

// retryable reports whether a failed publish may succeed if tried again:
// lost connections, administrator shutdowns, serialization failures and
// resource exhaustion. Errors in the statement or its data are final.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:min(2, len(pgErr.Code))] {
		case "08", "57", "40", "53":
			return true
		}
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// Prune deletes rows older than Options.Retention and returns how many.
// Run calls it every PruneInterval.
func (b *Bridge) Prune(ctx context.Context) (int64, error) {
	tag, err := b.pool.Exec(ctx, `DELETE FROM `+b.table+` WHERE created_at < now() - make_interval(secs => $1)`,
		b.opts.Retention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("pgnotify: prune: %w", err)
	}
	n := tag.RowsAffected()
	b.pruned.Add(uint64(n))
	return n, nil
}

// Ready is closed once Run first listens and has caught up: events
// published from then on reach the local Notifier.
func (b *Bridge) Ready() <-chan struct{} { return b.ready }

// Stats returns a snapshot of the counters.
func (b *Bridge) Stats() Stats {
	return Stats{
		Published:   b.published.Load(),
		Delivered:   b.delivered.Load(),
		Reconnects:  b.reconnects.Load(),
		Pruned:      b.pruned.Load(),
		LastID:      b.lastID.Load(),
		ListenerPID: b.pid.Load(),
	}
}
