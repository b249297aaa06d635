package store

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/internal/pgtest"
	"github.com/callguard/callguard/internal/testlog"
)

// TestPostgresReconnect terminates every connection of the store's pool
// from the server side, as a PostgreSQL restart or failover would, and
// checks that the pool recovers and that no write is lost: the store
// retries by itself, and with its retries off a caller using Retry loses
// nothing either.
func TestPostgresReconnect(t *testing.T) {
	pgtest.DSN(t) // skips without PostgreSQL
	t.Run("StoreRetries", func(t *testing.T) { testReconnect(t, 0) })
	t.Run("CallerRetries", func(t *testing.T) { testReconnect(t, -1) })
}

func testReconnect(t *testing.T, retries int) {
	dsn := pgtest.SchemaDSN(t, "cg_store_test_")
	u, _ := url.Parse(dsn)
	appName := u.Query().Get("application_name")
	var logs testlog.SyncBuffer
	s := openTest(t, dsn, &Options{Retries: retries, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	d := newDetection(t, s, "CA1")

	// Open several pooled connections so that more than one is killed.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	admin, err := sql.Open("pgx", pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	const windows = 20
	insert := func(i int) error {
		_, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
			WindowEnd: time.Duration(i+1) * time.Second, Label: "real", Score: 0.2})
		return err
	}
	callerRetries := 0
	for i := range windows {
		if i%5 == 0 {
			var killed int
			if err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = $1`, appName).Scan(&killed); err != nil {
				t.Fatal(err)
			}
			if killed == 0 {
				t.Fatalf("no connection of %s to terminate", appName)
			}
			// pg_terminate_backend only signals; wait until they are gone.
			waitGone(t, admin, appName)
		}
		err := insert(i)
		if err != nil {
			if !IsTransient(err) {
				t.Fatalf("window %d: %v is not transient", i, err)
			}
			callerRetries++
			err = Retry(ctx, 3, func(ctx context.Context) error { return insert(i) })
		}
		if err != nil {
			t.Fatalf("window %d lost: %v", i, err)
		}
	}
	p, err := s.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{Limit: MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != windows {
		t.Fatalf("%d verdicts stored, want %d", len(p.Items), windows)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	storeRetried := strings.Contains(logs.String(), "retrying after transient error")
	if retries >= 0 && !storeRetried {
		t.Error("the store logged no retry: the connections were not actually dropped")
	}
	if retries < 0 && (storeRetried || callerRetries == 0) {
		t.Errorf("with store retries off: store retried %v, caller retried %d times", storeRetried, callerRetries)
	}
}

func waitGone(t *testing.T, admin *sql.DB, appName string) {
	t.Helper()
	for range 200 {
		var n int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("terminated backends did not exit")
}
