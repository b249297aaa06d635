package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/callguard/callguard/internal/ctxwait"
)

// IsTransient reports whether err is a connection or contention failure
// that may succeed when tried again: a dropped or terminated database
// connection (for example after pg_terminate_backend or a PostgreSQL
// restart), a serialization failure or deadlock, or SQLite reporting the
// database busy or locked. Conditions such as ErrNotFound and ErrConflict
// are not transient.
//
// The store already retries each of its statements on these errors
// (Options.Retries); a caller that still sees one can retry the call:
// every write of a Store is idempotent on retry except UpdateDetection to
// a terminal status and DeleteNumber, which report ErrConflict or
// ErrNotFound if the first attempt had in fact been committed.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) {
		return false
	}
	if retryable(err) {
		return true
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, net.ErrClosed)
}

// retryable reports whether err guarantees the failed statement or
// transaction took no effect, so the store may run it again by itself.
func retryable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", // serialization_failure
			"40P01", // deadlock_detected
			"57P01", // admin_shutdown (pg_terminate_backend): the transaction was aborted
			"57P02", // crash_shutdown
			"57P03": // cannot_connect_now
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection_exception class
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if errors.Is(err, pgconn.ErrConnClosed) {
		// Reported before anything is sent on a connection pgx already
		// knows to be dead.
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// Retry calls fn until it succeeds, fails with an error that is not
// transient (see IsTransient), attempts calls have been made, or ctx is
// done. It waits a little longer before each new attempt (10 ms doubling,
// at most 1 s). attempts < 1 means 3. fn must be safe to repeat.
func Retry(ctx context.Context, attempts int, fn func(ctx context.Context) error) error {
	if attempts < 1 {
		attempts = 3
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if werr := ctxwait.Sleep(ctx, backoff(i-1)); werr != nil {
				return errors.Join(err, werr)
			}
		}
		err = fn(ctx)
		if err == nil || !IsTransient(err) {
			return err
		}
	}
	return err
}
