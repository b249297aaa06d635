package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestBackendOf(t *testing.T) {
	for dsn, want := range map[string]Backend{
		"":                               SQLite,
		"callguard.db":                   SQLite,
		":memory:":                       SQLite,
		"file:/tmp/x.db?mode=rwc":        SQLite,
		"postgres://u@h/db":              Postgres,
		"postgresql://u@h/db":            Postgres,
		"POSTGRES://u@h/db":              Postgres,
		"/var/lib/postgres/callguard.db": SQLite,
	} {
		if got := BackendOf(dsn); got != want {
			t.Errorf("BackendOf(%q) = %s, want %s", dsn, got, want)
		}
	}
}

func TestSQLiteWAL(t *testing.T) {
	s := openSQLiteTest(t, nil).(*sqlStore)
	var mode string
	if err := s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk, busy int
	if err := s.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if fk != 1 || busy != 5000 {
		t.Errorf("foreign_keys = %d, busy_timeout = %d", fk, busy)
	}
	if s.w.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections, want 1", s.w.Stats().MaxOpenConnections)
	}
}

func TestSQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		":memory:",
		"file:" + filepath.Join(dir, "uri.db"),
		"file:" + filepath.Join(dir, "uri2.db") + "?mode=rwc",
		filepath.Join(dir, "plain.db"),
	} {
		t.Run(dsn, func(t *testing.T) {
			s := openTest(t, dsn, nil)
			// Several statements in a row must see one database (an
			// in-memory database lives in one connection).
			must[Call](t)(s.UpsertCall(ctx, Call{Sid: "CA1"}))
			for range 3 {
				must[Call](t)(s.GetCall(ctx, "CA1"))
			}
		})
	}
	t.Run("default", func(t *testing.T) {
		t.Chdir(t.TempDir())
		openTest(t, "", nil)
		if _, err := os.Stat(DefaultSQLitePath); err != nil {
			t.Fatalf("empty DSN did not create %s: %v", DefaultSQLitePath, err)
		}
	})
	t.Run("bad path", func(t *testing.T) {
		if _, err := Open(ctx, filepath.Join(dir, "missing-dir", "x.db"), nil); err == nil {
			t.Fatal("Open in a missing directory succeeded")
		}
	})
}

// TestSQLiteTwoProcesses opens one file twice, as two server processes
// (or the server and a migrate command) would, and writes from both at
// once: busy_timeout must absorb the contention.
func TestSQLiteTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openTest(t, path, nil)
	b := openTest(t, path, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i, s := range []Store{a, b} {
		wg.Go(func() {
			for j := range 25 {
				if _, _, err := s.AppendEvent(ctx, Event{Type: "x", CallSid: fmt.Sprintf("CA%d", i)}); err != nil {
					errs <- err
				}
				if _, err := s.UpsertCall(ctx, Call{Sid: fmt.Sprintf("CA%d-%d", i, j)}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p := must[Page[Event]](t)(b.ListEvents(ctx, EventFilter{}, PageRequest{Limit: 100}))
	if len(p.Items) != 50 {
		t.Errorf("%d events, want 50", len(p.Items))
	}
}

func TestMigrateFunc(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	st, err := Migrate(ctx, path, "status", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.Applied {
			t.Fatalf("status migrated: %+v", m)
		}
	}
	if st, err = Migrate(ctx, path, "up", nil); err != nil || !st[len(st)-1].Applied {
		t.Fatalf("up: %+v %v", st, err)
	}
	s := openTest(t, path, &Options{SkipMigrations: true})
	if err := s.CheckMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(ctx, path, "redo", nil); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestTimesNormalized(t *testing.T) {
	s := openSQLiteTest(t, nil)
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CEST", 2*3600))
	c := must[Call](t)(s.UpsertCall(ctx, Call{Sid: "CA1", CreatedAt: at}))
	want := time.Date(2026, 5, 6, 5, 8, 9, 123456000, time.UTC)
	if c.CreatedAt != want {
		t.Errorf("CreatedAt = %v, want %v", c.CreatedAt, want)
	}
}
