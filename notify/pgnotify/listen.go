package pgnotify

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/callguard/callguard/internal/ctxwait"
	"github.com/callguard/callguard/notify"
	"github.com/jackc/pgx/v5"
)

// Run listens for events and delivers them to the local Notifier until
// ctx is done, then returns ctx.Err(). When the connection is lost it
// reconnects with jittered exponential backoff and first reads, by ID,
// every event stored meanwhile, so nothing is missed or repeated. On its
// first start it delivers Options.Backfill stored events, then new ones.
// A Bridge runs once at a time.
func (b *Bridge) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer b.running.Store(false)
	wait := b.opts.MinBackoff
	for {
		listened, err := b.session(ctx)
		b.pid.Store(0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if listened {
			b.reconnects.Add(1)
			wait = b.opts.MinBackoff
		}
		d := wait/2 + rand.N(wait/2+1)
		b.log.Warn("pgnotify: listener disconnected, reconnecting", "err", err, "in", d)
		if err := ctxwait.Sleep(ctx, d); err != nil {
			return err
		}
		wait = min(wait*2, b.opts.MaxBackoff)
	}
}

// session runs one listening connection until it fails. listened tells
// whether it got as far as waiting for notifications, caught up; only
// then is the backoff reset.
func (b *Bridge) session(ctx context.Context) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, b.connCfg.Copy())
	if err != nil {
		return false, fmt.Errorf("pgnotify: connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.opts.Channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("pgnotify: listen: %w", err)
	}
	if !b.started {
		if err := b.start(ctx, conn); err != nil {
			return false, err
		}
		b.started = true
	}
	// Listening now: read whatever was stored while we were not.
	if err := b.catchUp(ctx, conn); err != nil {
		return false, err
	}
	b.pid.Store(conn.PgConn().PID()) // listening and caught up
	b.onReady.Do(func() { close(b.ready) })
	for {
		wctx, cancel := context.WithTimeout(ctx, b.opts.PollInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case err != nil && wctx.Err() == nil:
			return true, fmt.Errorf("pgnotify: wait: %w", err)
		case err == nil:
			if id, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil && id <= b.last {
				continue // already delivered by an earlier catch-up
			}
		}
		if err := b.catchUp(ctx, conn); err != nil {
			return true, err
		}
		if b.opts.PruneInterval > 0 && time.Since(b.lastPrun) >= b.opts.PruneInterval {
			b.lastPrun = time.Now()
			if n, err := b.Prune(ctx); err != nil {
				b.log.Warn("pgnotify: prune", "err", err)
			} else if n > 0 {
				b.log.Debug("pgnotify: pruned", "rows", n)
			}
		}
	}
}

// start picks the ID after which Run delivers, Backfill events back from
// the newest.
func (b *Bridge) start(ctx context.Context, conn *pgx.Conn) error {
	var last int64
	var err error
	if b.opts.Backfill > 0 {
		err = conn.QueryRow(ctx, `SELECT coalesce((SELECT id - 1 FROM `+b.table+` ORDER BY id DESC OFFSET $1 - 1 LIMIT 1), 0)`,
			b.opts.Backfill).Scan(&last)
	} else {
		err = conn.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM `+b.table).Scan(&last)
	}
	if err != nil {
		return fmt.Errorf("pgnotify: starting point: %w", err)
	}
	b.setLast(last)
	b.lastPrun = time.Now().Add(-b.opts.PruneInterval) // prune soon after start
	return nil
}

func (b *Bridge) setLast(id int64) {
	b.last = id
	b.lastID.Store(id)
}

// catchUp delivers every stored event after b.last, in ID order.
func (b *Bridge) catchUp(ctx context.Context, conn *pgx.Conn) error {
	for {
		rows, err := conn.Query(ctx, `SELECT id, type, call_sid, time, data FROM `+b.table+
			` WHERE id > $1 ORDER BY id LIMIT $2`, b.last, b.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("pgnotify: catch up: %w", err)
		}
		var batch []notify.Event
		var lastID int64
		for rows.Next() {
			var e notify.Event
			var data []byte
			if err := rows.Scan(&lastID, &e.Type, &e.CallSid, &e.Time, &data); err != nil {
				rows.Close()
				return fmt.Errorf("pgnotify: catch up: %w", err)
			}
			e.ID = formatID(lastID)
			e.Time = e.Time.UTC()
			if len(data) > 0 {
				e.Data = json.RawMessage(data)
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgnotify: catch up: %w", err)
		}
		for _, e := range batch {
			id, _ := strconv.ParseInt(e.ID, 10, 64)
			if err := b.local.Notify(ctx, e); err != nil {
				// The local Notifier refused this event for good (a closed
				// Hub, or one that also numbers events itself: ErrStaleID);
				// retrying would not help.
				b.log.Warn("pgnotify: local notify", "event_id", e.ID, "err", err)
			} else {
				b.delivered.Add(1)
			}
			b.setLast(id)
		}
		if len(batch) < b.opts.BatchSize {
			return nil
		}
	}
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
