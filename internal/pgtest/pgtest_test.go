package pgtest

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestUniqueName(t *testing.T) {
	a, b := UniqueName("cg_x_"), UniqueName("cg_x_")
	if a == b {
		t.Fatalf("two names alike: %s", a)
	}
	if !regexp.MustCompile(`^cg_x_[0-9a-f]{12}$`).MatchString(a) {
		t.Fatalf("name %q is not prefix + 12 hex digits", a)
	}
}

func TestDSNSkipsWhenUnset(t *testing.T) {
	t.Setenv(EnvVar, "")
	var ran bool
	t.Run("inner", func(t *testing.T) {
		DSN(t)
		ran = true
	})
	if ran {
		t.Fatal("DSN returned with the variable unset")
	}
}

func TestSchemaDSNIsolatesAndDrops(t *testing.T) {
	base := DSN(t)
	ctx := context.Background()
	var dsn, schema string
	t.Run("inner", func(t *testing.T) {
		dsn = SchemaDSN(t, "cg_pgtest_")
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		schema = u.Query().Get("search_path")
		if app := u.Query().Get("application_name"); app != schema {
			t.Errorf("application_name %q, want the schema %q", app, schema)
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := conn.QueryRow(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 't' AND table_schema = current_schema()").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != schema {
			t.Fatalf("table created in %q, want %q", got, schema)
		}
	})
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if schema == "" || n != 0 {
		t.Fatalf("schema %q still there after the test (%d)", schema, n)
	}
}
