package pgnotify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/callguard/callguard/notify"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestSchemaFor(t *testing.T) {
	if SchemaFor(DefaultTable) != Schema {
		t.Errorf("SchemaFor(DefaultTable) differs from Schema")
	}
	s := SchemaFor(`app.ev"il`)
	if !strings.Contains(s, `CREATE TABLE IF NOT EXISTS "app"."ev""il"`) ||
		!strings.Contains(s, `CREATE INDEX IF NOT EXISTS "ev""il_created_at_idx" ON "app"."ev""il"`) {
		t.Errorf("SchemaFor quoted badly:\n%s", s)
	}
}

// TestNewRejects needs no database: pgxpool.New does not connect.
func TestNewRejects(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rec := notify.NotifierFunc(func(context.Context, notify.Event) error { return nil })
	for name, mk := range map[string]func() (*Bridge, error){
		"nil pool":     func() (*Bridge, error) { return New(nil, rec, Options{}) },
		"nil notifier": func() (*Bridge, error) { return New(pool, nil, Options{}) },
		"long channel": func() (*Bridge, error) { return New(pool, rec, Options{Channel: strings.Repeat("c", 64)}) },
	} {
		if b, err := mk(); b != nil || !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: New = %v, %v; want ErrBadOptions", name, b, err)
		}
	}
	if _, err := New(pool, rec, Options{Channel: strings.Repeat("c", 63)}); err != nil {
		t.Errorf("63-byte channel: %v", err)
	}
}
