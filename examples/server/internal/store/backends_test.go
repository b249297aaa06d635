package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// postgresDSN returns a DSN that confines the test to a new schema of the
// test database, dropped when the test ends, so that tests, parallel runs
// and other packages' tests never see each other's tables.
func postgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CALLGUARD_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("CALLGUARD_TEST_DATABASE_URL is not set; skipping PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "cg_store_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse CALLGUARD_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgresTest(t testing.TB, opts *Options) Store {
	t.Helper()
	return openTest(t, postgresDSN(t), opts)
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
