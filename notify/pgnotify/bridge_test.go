package pgnotify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/internal/pgtest"
	"github.com/callguard/callguard/notify"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testDB connects to CALLGUARD_TEST_DATABASE_URL and returns a pool and
// a table name unique to this test, dropped at the end.
func testDB(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	url := pgtest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		t.Fatalf("ping %s: %v", url, err)
	}
	table := pgtest.UniqueName("cg_pgnotify_test_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize()); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
		pool.Close()
	})
	return pool, table
}

// recorder is a local Notifier that remembers what it was given.
type recorder struct {
	mu     sync.Mutex
	events []notify.Event
	cond   chan struct{} // signalled on each event
}

func newRecorder() *recorder { return &recorder{cond: make(chan struct{}, 1)} }

func (r *recorder) Notify(_ context.Context, e notify.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.cond <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) snapshot() []notify.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitFor waits until r holds n events (or more), up to a generous bound
// that only guards against hanging.
func (r *recorder) waitFor(t *testing.T, n int) []notify.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := r.snapshot(); len(got) >= n {
			return got
		}
		select {
		case <-r.cond:
		case <-deadline:
			t.Fatalf("got %d events, want %d", len(r.snapshot()), n)
		}
	}
}

// startBridge makes a Bridge on table delivering to rec and runs it until
// the test ends; it returns once the listener is listening.
func startBridge(t *testing.T, pool *pgxpool.Pool, table string, rec notify.Notifier, opts Options) *Bridge {
	t.Helper()
	opts.Table = table
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	}
	b, err := New(pool, rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
	select {
	case <-b.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("bridge never ready")
	}
	if b.Stats().ListenerPID == 0 {
		t.Fatal("ready without a listener")
	}
	return b
}

// waitListening waits until b listens on a connection other than oldPID.
func waitListening(t *testing.T, b *Bridge, oldPID uint32) uint32 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The PID is published once the listener has caught up.
		if pid := b.Stats().ListenerPID; pid != 0 && pid != oldPID {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatal("bridge never listened")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkOnceInOrder asserts got holds exactly the IDs want, ascending.
func checkOnceInOrder(t *testing.T, name string, got []notify.Event, want []string) {
	t.Helper()
	var ids []string
	for i, e := range got {
		ids = append(ids, e.ID)
		if i > 0 {
			a, _ := strconv.ParseInt(got[i-1].ID, 10, 64)
			b, _ := strconv.ParseInt(e.ID, 10, 64)
			if b <= a {
				t.Errorf("%s: id %d after %d", name, b, a)
			}
		}
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("%s: got %d events %v,\nwant %d %v", name, len(ids), ids, len(want), want)
	}
}

func event(i int, call string) notify.Event {
	return notify.Event{
		Type: notify.TypeVerdict, CallSid: call,
		Time: time.Date(2026, 11, 26, 18, 0, i, 0, time.UTC),
		Data: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i)),
	}
}

func TestTwoReplicasSeeEverythingOnce(t *testing.T) {
	pool, table := testDB(t)
	recA, recB := newRecorder(), newRecorder()
	a := startBridge(t, pool, table, recA, Options{})
	b := startBridge(t, pool, table, recB, Options{})

	const n = 60
	var mu sync.Mutex
	var published []notify.Event
	var wg sync.WaitGroup
	for w, br := range []*Bridge{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				e, err := br.Publish(context.Background(), event(i, "CA"+strconv.Itoa(w)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				published = append(published, e)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(published, func(x, y notify.Event) int {
		i, _ := strconv.ParseInt(x.ID, 10, 64)
		j, _ := strconv.ParseInt(y.ID, 10, 64)
		return int(i - j)
	})
	var want []string
	for _, e := range published {
		want = append(want, e.ID)
	}
	gotA, gotB := recA.waitFor(t, n), recB.waitFor(t, n)
	checkOnceInOrder(t, "replica A", gotA, want)
	checkOnceInOrder(t, "replica B", gotB, want)
	// Delivered events are the stored ones, whole.
	for i, e := range gotA {
		p := published[i]
		var gd, pd any
		json.Unmarshal(e.Data, &gd)
		json.Unmarshal(p.Data, &pd)
		if e.ID != p.ID || e.Type != p.Type || e.CallSid != p.CallSid || !e.Time.Equal(p.Time) || fmt.Sprint(gd) != fmt.Sprint(pd) {
			t.Errorf("delivered %+v, published %+v", e, p)
		}
	}
	if st := a.Stats(); st.Delivered != n || st.Published != n/2 {
		t.Errorf("A stats %+v", st)
	}
}

// TestListenerKilled terminates the listening connections again and again
// while events are published: every replica still gets every event
// exactly once, in order.
func TestListenerKilled(t *testing.T) {
	pool, table := testDB(t)
	recA, recB := newRecorder(), newRecorder()
	a := startBridge(t, pool, table, recA, Options{})
	b := startBridge(t, pool, table, recB, Options{})

	const n = 300
	want := make([]string, 0, n)
	var wantMu sync.Mutex
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := range n {
			br := []*Bridge{a, b}[i%2]
			e, err := br.Publish(context.Background(), event(i, "CA1"))
			if err != nil {
				t.Error(err)
				return
			}
			wantMu.Lock()
			want = append(want, e.ID)
			wantMu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	kills := 0
	for kills < 6 {
		select {
		case <-pubDone:
			t.Logf("publishing finished after %d kills", kills)
			kills = 6
			continue
		default:
		}
		for _, br := range []*Bridge{a, b} {
			pid := waitListening(t, br, 0)
			var ok bool
			if err := pool.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&ok); err != nil || !ok {
				t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
			}
			kills++
			waitListening(t, br, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-pubDone
	if t.Failed() {
		return
	}
	checkOnceInOrder(t, "replica A", recA.waitFor(t, n), want)
	checkOnceInOrder(t, "replica B", recB.waitFor(t, n), want)
	if ra, rb := a.Stats().Reconnects, b.Stats().Reconnects; ra < 1 || rb < 1 {
		t.Errorf("reconnects A=%d B=%d, want at least 1 each", ra, rb)
	}
}

func TestLargeEvent(t *testing.T) {
	pool, table := testDB(t)
	rec := newRecorder()
	br := startBridge(t, pool, table, rec, Options{})
	big := json.RawMessage(`{"raw":"` + strings.Repeat("x", 100_000) + `"}`)
	e := event(1, "CA1")
	e.Data = big
	if _, err := br.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got := rec.waitFor(t, 1)
	if string(got[0].Data) != string(big) {
		t.Errorf("data of %d bytes came back as %d bytes", len(big), len(got[0].Data))
	}
}

func TestPublishRejectsBadEvents(t *testing.T) {
	pool, table := testDB(t)
	br, err := New(pool, newRecorder(), Options{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	if err := br.CreateSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := br.CreateSchema(context.Background()); err != nil {
		t.Fatalf("CreateSchema twice: %v", err)
	}
	for _, e := range []notify.Event{{}, {Type: "verdict", Data: json.RawMessage("{")}} {
		if err := br.Notify(context.Background(), e); err == nil {
			t.Errorf("Notify(%+v) accepted", e)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+ident(table)).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows = %d, %v; want 0", n, err)
	}
}

func TestBackfillAndPrune(t *testing.T) {
	pool, table := testDB(t)
	ctx := context.Background()
	pub, err := New(pool, newRecorder(), Options{Table: table, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		e, err := pub.Publish(ctx, event(i, "CA1"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	rec := newRecorder()
	startBridge(t, pool, table, rec, Options{Backfill: 3, PruneInterval: -1})
	checkOnceInOrder(t, "backfill", rec.waitFor(t, 3), ids[2:])
	fresh := newRecorder()
	startBridge(t, pool, table, fresh, Options{PruneInterval: -1})
	e, err := pub.Publish(ctx, event(9, "CA1"))
	if err != nil {
		t.Fatal(err)
	}
	checkOnceInOrder(t, "no backfill", fresh.waitFor(t, 1), []string{e.ID})

	if _, err := pool.Exec(ctx, "UPDATE "+ident(table)+" SET created_at = now() - interval '2 hours' WHERE id <= $1", ids[1]); err != nil {
		t.Fatal(err)
	}
	n, err := pub.Prune(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if st := pub.Stats(); st.Pruned != 2 {
		t.Errorf("Stats.Pruned = %d", st.Pruned)
	}
}

func TestRunTwice(t *testing.T) {
	pool, table := testDB(t)
	br := startBridge(t, pool, table, newRecorder(), Options{})
	if err := br.Run(context.Background()); err != ErrRunning {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
}

// TestFeedsHub runs the intended set-up: the Bridge delivers to a Hub, and
// an SSE watcher sees the table's IDs.
func TestFeedsHub(t *testing.T) {
	pool, table := testDB(t)
	hub := notify.NewHub(notify.HubOptions{})
	defer hub.Close()
	br := startBridge(t, pool, table, hub, Options{})
	srv := httptest.NewServer(http.HandlerFunc(hub.ServeSSE))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "?type=alert")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ":ok": subscribed
	var want []string
	for i := range 4 {
		e := event(i, "CA1")
		if i%2 == 1 {
			e.Type = notify.TypeAlert
		}
		p, err := br.Publish(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			want = append(want, "id: "+p.ID)
		}
	}
	var got []string
	for len(got) < len(want) && lines.Scan() {
		if strings.HasPrefix(lines.Text(), "id: ") {
			got = append(got, lines.Text())
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("SSE ids %v, want %v", got, want)
	}
}

// TestRunPrunes: Run deletes rows older than Retention by itself.
func TestRunPrunes(t *testing.T) {
	pool, table := testDB(t)
	ctx := context.Background()
	pub, err := New(pool, newRecorder(), Options{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := pub.Publish(ctx, event(i, "CA1")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "UPDATE "+ident(table)+" SET created_at = now() - interval '2 hours'"); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	br := startBridge(t, pool, table, rec, Options{Retention: time.Hour, PruneInterval: time.Millisecond})
	// Each event wakes the listener, which prunes when PruneInterval has
	// passed.
	for i := 0; br.Stats().Pruned < 3; i++ {
		if i > 1000 {
			t.Fatalf("Pruned = %d, want 3", br.Stats().Pruned)
		}
		if _, err := pub.Publish(ctx, event(i, "CA1")); err != nil {
			t.Fatal(err)
		}
		rec.waitFor(t, i+1)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+ident(table)+" WHERE created_at < now() - interval '1 hour'").Scan(&n); err != nil || n != 0 {
		t.Errorf("old rows left: %d, %v", n, err)
	}
}

func TestPublishRetriesLostConnections(t *testing.T) {
	_, table := testDB(t)
	// The publishers' pool gets its own application_name so that the test
	// can kill exactly its connections (the listener's too, which shares
	// the configuration) while events are being published.
	app := pgtest.UniqueName("cg_pub_")
	cfg, err := pgxpool.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	pub, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	killer, _ := testDB(t)

	rec := newRecorder()
	// Connections die every 15 ms; on a loaded machine (-race, shared
	// cores) one publish can see several in a row, so the test allows more
	// attempts than the default: what it checks is that retried publishes
	// are neither lost nor stored twice.
	br := startBridge(t, pub, table, rec, Options{PublishAttempts: 50})
	const n = 150
	var want []string
	stop := make(chan struct{})
	killed := make(chan int)
	go func() {
		kills := 0
		defer func() { killed <- kills }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Millisecond):
			}
			var k int
			if err := killer.QueryRow(context.Background(),
				"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&k); err == nil {
				kills += k
			}
		}
	}()
	for i := range n {
		e, err := br.Publish(context.Background(), event(i, "CA1"))
		if err != nil {
			close(stop)
			<-killed
			t.Fatalf("publish %d: %v", i, err)
		}
		want = append(want, e.ID)
		time.Sleep(time.Millisecond)
	}
	close(stop)
	if kills := <-killed; kills == 0 {
		t.Fatal("no connection was killed; the test proved nothing")
	}
	checkOnceInOrder(t, "replica", rec.waitFor(t, n), want)
}

func TestPublishKeyIsIdempotent(t *testing.T) {
	pool, table := testDB(t)
	rec := newRecorder()
	br := startBridge(t, pool, table, rec, Options{})
	e := event(1, "CA1")
	first, err := br.publish(context.Background(), e, string(e.Data), "same-key")
	if err != nil {
		t.Fatal(err)
	}
	again, err := br.publish(context.Background(), e, string(e.Data), "same-key")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != again.ID {
		t.Fatalf("retried publish stored a second row: %s then %s", first.ID, again.ID)
	}
	var rows int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d rows, want 1", rows)
	}
	checkOnceInOrder(t, "replica", rec.waitFor(t, 1), []string{first.ID})
}
