package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{ErrNotFound, false},
		{fmt.Errorf("x: %w", ErrConflict), false},
		{&InvalidError{Field: "f"}, false},
		{errors.New("syntax error"), false},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation
		{&pgconn.PgError{Code: "57P01"}, true},  // admin_shutdown
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("wrapped: %w", driver.ErrBadConn), true},
		{io.ErrUnexpectedEOF, true},
		{pgconn.ErrConnClosed, true},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	calls := 0
	err := Retry(ctx, 3, func(context.Context) error {
		calls++
		if calls < 3 {
			return driver.ErrBadConn
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls", err, calls)
	}

	calls = 0
	err = Retry(ctx, 5, func(context.Context) error { calls++; return ErrNotFound })
	if !errors.Is(err, ErrNotFound) || calls != 1 {
		t.Fatalf("permanent error retried: %v after %d calls", err, calls)
	}

	calls = 0
	err = Retry(ctx, 2, func(context.Context) error { calls++; return io.ErrUnexpectedEOF })
	if !errors.Is(err, io.ErrUnexpectedEOF) || calls != 2 {
		t.Fatalf("gave up with %v after %d calls, want 2", err, calls)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	err = Retry(cctx, 5, func(context.Context) error { calls++; return driver.ErrBadConn })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancelled: %v after %d calls", err, calls)
	}
}

func TestErrorsWrap(t *testing.T) {
	var err error = &TransitionError{ID: "det_1", From: DetectionStopped, To: DetectionStopped}
	if !errors.Is(err, ErrConflict) || err.Error() == "" {
		t.Error("TransitionError does not wrap ErrConflict")
	}
	err = &ConflictError{What: "detection", Existing: "det_1"}
	if !errors.Is(err, ErrConflict) {
		t.Error("ConflictError does not wrap ErrConflict")
	}
	if !errors.Is(invalid("x", "y"), ErrInvalid) {
		t.Error("InvalidError does not wrap ErrInvalid")
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor("2026-01-01T00:00:00Z", "CA1"), 2)
	f.Add(encodeCursor("17"), 1)
	f.Add("", 1)
	f.Add("zz", 2)
	f.Add("5b5d", 0)
	f.Fuzz(func(t *testing.T, c string, n int) {
		keys, err := decodeCursor(c, n)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(keys) != n {
			t.Fatalf("%d keys, want %d", len(keys), n)
		}
		// What decodes re-encodes to a cursor that decodes the same.
		again, err := decodeCursor(encodeCursor(keys...), n)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(keys) {
			t.Fatalf("round trip: %v %v", again, err)
		}
	})
}

func FuzzValidE164(f *testing.F) {
	for _, s := range []string{"+15550001", "+0", "", "+", "+123456789012345", "+1234567890123456", "15550001", "+1 555"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := ValidE164(s)
		n := Number{E164: s}
		err := validateNumber(&n)
		if ok != (err == nil) {
			t.Fatalf("ValidE164(%q) = %v but validateNumber: %v", s, ok, err)
		}
		if ok && (len(s) < 3 || len(s) > 16 || s[0] != '+') {
			t.Fatalf("accepted %q", s)
		}
	})
}
