package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callguard/callguard/internal/pgtest"
)

// factory opens a fresh, empty store for one test. The store is closed
// when the test ends.
type factory func(t testing.TB, opts *Options) Store

// backends returns the backends the suite runs on: SQLite always,
// PostgreSQL when CALLGUARD_TEST_DATABASE_URL is set.
func backends() map[Backend]factory {
	return map[Backend]factory{SQLite: openSQLiteTest, Postgres: openPostgresTest}
}

func openSQLiteTest(t testing.TB, opts *Options) Store {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "callguard.db")
	return openTest(t, dsn, opts)
}

func openTest(t testing.TB, dsn string, opts *Options) Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openPostgresTest(t testing.TB, opts *Options) Store {
	t.Helper()
	return openTest(t, pgtest.SchemaDSN(t, "cg_store_test_"), opts)
}

func TestOpenBadPostgresDSN(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:secret@127.0.0.1:5432/db?sslmode=bogus", nil)
	if err == nil {
		t.Fatal("bad DSN accepted")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
