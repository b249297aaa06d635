package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the environment variable holding the test database URL.
const EnvVar = "CALLGUARD_TEST_DATABASE_URL"

// DSN returns the test database URL from CALLGUARD_TEST_DATABASE_URL, or
// skips the test, saying why, when it is unset.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		t.Skip(EnvVar + " is not set; skipping PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// UniqueName returns prefix followed by 12 random hex digits: a valid,
// unquoted PostgreSQL identifier when prefix is one.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// SchemaDSN creates a new schema named prefix plus random digits in the
// test database (skipping the test as DSN does when there is none) and
// returns a DSN whose search_path and application_name are that schema.
// The schema and everything in it is dropped when the test ends; tests
// should close their connections first (register their cleanups after
// calling SchemaDSN).
func SchemaDSN(t testing.TB, prefix string) string {
	t.Helper()
	base := DSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	schema := UniqueName(prefix)
	ident := pgx.Identifier{schema}.Sanitize()
	if err := exec(base, "CREATE SCHEMA "+ident); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on a connection of its own.
func exec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: connect to the test database: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}
