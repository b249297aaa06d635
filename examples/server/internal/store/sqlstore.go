package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/callguard/callguard/internal/ctxwait"
)

// sqlStore implements Store over database/sql for both backends. The SQL
// is written once with "?" placeholders and rebound to "$n" for
// PostgreSQL; the few dialect differences (time encoding) are handled in
// Go.
type sqlStore struct {
	backend    Backend
	w          *sql.DB // writes; one connection on SQLite
	r          *sql.DB // reads; == w on PostgreSQL and in-memory SQLite
	migrations *goose.Provider
	log        *slog.Logger
	now        func() time.Time
	retries    int
	stmts      *stmtCache // writes' prepared statements (SQLite only)
	batch      *batcher   // group commit of verdicts and events
}

func newSQLStore(b Backend, w, r *sql.DB, o Options) *sqlStore {
	s := &sqlStore{backend: b, w: w, r: r, log: o.Logger, now: o.Now, retries: o.Retries}
	if b == SQLite {
		s.stmts = &stmtCache{db: w, m: map[string]*sql.Stmt{}, want: map[string]struct{}{}}
	}
	s.batch = newBatcher(s)
	return s
}

// Backend implements Store.
func (s *sqlStore) Backend() Backend { return s.backend }

// Ping implements Store.
func (s *sqlStore) Ping(ctx context.Context) error {
	err := s.retry(ctx, func(ctx context.Context) error {
		if err := s.w.PingContext(ctx); err != nil {
			return err
		}
		if s.r != s.w {
			return s.r.PingContext(ctx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: ping %s: %w", s.backend, err)
	}
	return nil
}

// Close implements Store.
func (s *sqlStore) Close() error {
	s.batch.close()
	s.stmts.close()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// rebind turns "?" placeholders into "$1", "$2"… for PostgreSQL. The
// queries of this package never contain "?" inside literals.
func (s *sqlStore) rebind(q string) string {
	if s.backend != Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// sqliteTimeLayout is fixed-width so that stored times sort as text.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// normTime is the time precision and zone both backends store.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// tv encodes a time for a query argument; the zero time is NULL.
func (s *sqlStore) tv(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = normTime(t)
	if s.backend == SQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// nowUTC is the store's clock at stored precision.
func (s *sqlStore) nowUTC() time.Time { return normTime(s.now()) }

// dbTime scans a stored time (time.Time from PostgreSQL, text from SQLite,
// NULL as the zero time).
type dbTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = normTime(v)
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

func (d dbTime) parse(v string) error {
	t, err := time.Parse(sqliteTimeLayout, v)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("store: bad stored time %q: %w", v, err)
		}
	}
	*d.t = normTime(t)
	return nil
}

// dbJSON scans a nullable JSON column into a json.RawMessage.
type dbJSON struct{ j *json.RawMessage }

// Scan implements sql.Scanner.
func (d dbJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.j = nil
	case string:
		*d.j = json.RawMessage(v)
	case []byte:
		*d.j = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("store: cannot scan %T into JSON", src)
	}
	return nil
}

// jv encodes JSON for a query argument; empty is NULL.
func jv(j json.RawMessage) any {
	if len(j) == 0 {
		return nil
	}
	return string(j)
}

func checkJSON(field string, j json.RawMessage) error {
	if len(j) != 0 && !json.Valid(j) {
		return invalid(field, "not valid JSON")
	}
	return nil
}

// newID returns prefix followed by 24 random hex digits.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return prefix + hex.EncodeToString(b[:])
}

type rowScanner interface{ Scan(dest ...any) error }

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// inTx runs fn in a write transaction, retrying the whole transaction when
// it fails with an error that guarantees nothing was committed.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx querier) error) error {
	s.stmts.prepare(ctx)
	return s.retry(ctx, func(ctx context.Context) error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(s.stmts.wrap(tx)); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// read runs a read-only fn on the read pool with retries.
func (s *sqlStore) read(ctx context.Context, fn func(q querier) error) error {
	return s.retry(ctx, func(ctx context.Context) error { return fn(s.r) })
}

// write runs a single statement fn on the write pool with retries; fn must
// be idempotent.
func (s *sqlStore) write(ctx context.Context, fn func(q querier) error) error {
	s.stmts.prepare(ctx)
	return s.retry(ctx, func(ctx context.Context) error { return fn(s.stmts.wrap(s.w)) })
}

// retry runs fn, then again up to s.retries times while it fails with a
// retryable error.
func (s *sqlStore) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = fn(ctx)
		if err == nil || attempt >= s.retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.log.WarnContext(ctx, "store: retrying after transient error", "attempt", attempt+1, "err", err)
		if err := ctxwait.Sleep(ctx, backoff(attempt)); err != nil {
			return errors.Join(err, ctx.Err())
		}
	}
}

func backoff(attempt int) time.Duration {
	d := 10 * time.Millisecond << attempt
	if d > time.Second {
		d = time.Second
	}
	return d
}
