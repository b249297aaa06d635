//go:build linux

package main

// Fault drills: each starts examples/server as a child process on loopback
// with its own fake Resemble and database, plays calls with callsim's
// engine, injects one fault and checks that nothing is lost.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/callsim/sim"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// The vendor answers 500, then 429 with Retry-After, then hangs for 4 s
// (twice over): every window still ends with a verdict or an explicit
// error row, the call is not cut, and the server stays up.
func TestDrillVendorFaults(t *testing.T) {
	skipShort(t)
	t.Parallel()
	var n atomic.Int64
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/detect") {
				switch n.Add(1) {
				case 1, 4:
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusInternalServerError)
					io.WriteString(w, `{"success":false,"message":"internal error"}`)
					return
				case 2, 5:
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					io.WriteString(w, `{"success":false,"message":"rate limited"}`)
					return
				case 3, 6:
					select { // the vendor hangs for a while
					case <-time.After(4 * time.Second):
					case <-r.Context().Done():
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	d := newDrill(t, drillOptions{vendor: resembletest.Options{Latency: 50 * time.Millisecond}, wrap: hang,
		env: []string{"CALLGUARD_WINDOW=1s"}})
	var res results
	cfg := d.config(speech(t), 2, 6*time.Second, true)
	cfg.OnCall = res.add
	rep, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CallsFailed != 0 {
		t.Fatalf("calls cut while the vendor failed: %v", rep.ErrorSamples)
	}
	if rep.CallsEnded != 2 {
		t.Errorf("%d of 2 calls ended with a summary (a hanging vendor request must not hold a session forever)", rep.CallsEnded)
	}
	if got := n.Load(); got < 6 {
		t.Errorf("vendor saw %d detect requests, want the 6 faulted ones at least", got)
	}
	rows := 0
	for _, c := range res.all() {
		rows += d.checkWindows(c.CallSid)
	}
	if rows < 12 || rep.Verdicts != rows {
		t.Errorf("%d window rows stored, %d verdict events seen; want ≥ 12 and equal", rows, rep.Verdicts)
	}
	if err := d.healthy(); err != nil {
		t.Errorf("server after vendor faults: %v", err)
	}
}

// PostgreSQL drops every server connection mid-call: the server
// reconnects, and no verdict row or event is lost.
func TestDrillPostgresConnectionKilled(t *testing.T) {
	admin := os.Getenv("CALLGUARD_TEST_DATABASE_URL")
	if admin == "" {
		t.Skip("CALLGUARD_TEST_DATABASE_URL is not set: the PostgreSQL drill needs a database (postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	skipShort(t)
	t.Parallel()
	ctx := context.Background()
	dbURL, drop, err := tempDatabase(ctx, admin, "callguard_drill")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	d := newDrill(t, drillOptions{vendor: resembletest.Options{Latency: 50 * time.Millisecond}, dbURL: dbURL,
		env: []string{"CALLGUARD_WINDOW=1s"}})
	dbName := strings.TrimPrefix(mustURL(t, dbURL).Path, "/")

	var res results
	cfg := d.config(speech(t), 3, 8*time.Second, true)
	cfg.OnCall = res.add
	// Kill every server connection three times mid-call (2 s, 3.5 s, 5 s).
	killed := make(chan int64, 1)
	go func() {
		var total int64
		defer func() { killed <- total }()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("admin connection: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, at := range []time.Duration{2 * time.Second, 1500 * time.Millisecond, 1500 * time.Millisecond} {
			time.Sleep(at)
			var n int64
			err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName).Scan(&n)
			if err != nil {
				t.Errorf("pg_terminate_backend: %v", err)
			}
			total += n
		}
	}()
	rep, err := sim.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := <-killed; n == 0 {
		t.Fatal("no server connection was terminated: the drill did not happen")
	}
	if rep.CallsFailed != 0 || rep.CallsEnded != 3 {
		t.Errorf("calls failed %d (%v), ended %d of 3", rep.CallsFailed, rep.ErrorSamples, rep.CallsEnded)
	}
	rows := 0
	for _, c := range res.all() {
		rows += d.checkWindows(c.CallSid)
	}
	if rows < 3*8 || rep.Verdicts != rows {
		t.Errorf("%d window rows stored, %d verdict events reached the watcher; want ≥ 24 and equal (events lost across the reconnect; watcher errors %v)",
			rows, rep.Verdicts, rep.Errors)
	}
}

// SIGTERM with live calls: the server drains within its deadline and
// every window it accepted is stored with a closed session.
func TestDrillSIGTERMDrains(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const deadline = 10 * time.Second
	d := newDrill(t, drillOptions{vendor: resembletest.Options{Latency: 300 * time.Millisecond},
		env: []string{"CALLGUARD_WINDOW=1s", "CALLGUARD_SHUTDOWN_TIMEOUT=" + deadline.String()}})
	var res results
	cfg := d.config(speech(t), 4, 30*time.Second, true)
	cfg.OnCall = res.add
	cfg.Settle = 2 * time.Second
	done := make(chan *sim.Report, 1)
	go func() {
		rep, _ := sim.Run(context.Background(), cfg)
		done <- rep
	}()
	time.Sleep(4 * time.Second)
	t0 := time.Now()
	exitErr := d.srv.Terminate(deadline + 5*time.Second)
	took := time.Since(t0)
	if exitErr != nil {
		t.Errorf("server exit after SIGTERM: %v (took %v)", exitErr, took)
	}
	if took > deadline+2*time.Second {
		t.Errorf("shutdown took %v, deadline %v", took, deadline)
	}
	rep := <-done
	if rep.CallsStreamed != 4 {
		t.Fatalf("%d of 4 calls streamed before SIGTERM", rep.CallsStreamed)
	}
	// Reopen the same database with a fresh server and read what was kept.
	d.start(serverBinary(t), []string{"CALLGUARD_WINDOW=1s"})
	for _, c := range res.all() {
		rows := d.checkWindows(c.CallSid)
		// About 4 s were streamed before SIGTERM: windows 0..3 at least.
		if rows < 4 {
			t.Errorf("call %s: %d windows stored, want ≥ 4 (audio accepted before SIGTERM)", c.CallSid, rows)
		}
	}
	if rep.Verdicts > 0 && rep.CallsEnded < 4 {
		t.Logf("watchers saw %d of 4 calls end before the hub closed", rep.CallsEnded)
	}
}

// A watcher that stops reading is cut off; the others keep receiving.
func TestDrillSlowWatcherCutOff(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := newDrill(t, drillOptions{env: []string{"CALLGUARD_WINDOW=100ms", "CALLGUARD_MIN_SPEECH=0s", "CALLGUARD_MAX_IN_FLIGHT=8"}})

	// The stuck watcher: subscribes, reads the response headers, then
	// never reads again.
	conn, err := net.Dial("tcp", strings.TrimPrefix(d.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+d.srv.APIToken)
	req.Header.Set("Accept", "text/event-stream")
	req.Close = true
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stuck watcher subscription: %v %v", resp, err)
	}

	// Lots of events for everybody: 60 fast calls a round, a verdict per
	// 100 ms of audio, ~4,500 events a round. The kernel buffers a few MB
	// for the stuck socket before the server's writes block, so keep going
	// until the server reports the cut-off (reading the stuck socket to
	// find out would unblock it).
	var res results
	total := 0
	for round := 0; round < 8 && !strings.Contains(d.srv.Log(), "cut off"); round++ {
		cfg := d.config(speech(t), 60, 0, false)
		cfg.OnCall = res.add
		rep, err := sim.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		total += rep.Verdicts
		if rep.CallsEnded != 60 {
			t.Errorf("round %d: the reading watcher saw %d of 60 calls end (%v)", round, rep.CallsEnded, rep.Errors)
		}
	}
	if !cutOff(t, conn, resp.Body) {
		t.Fatal("the stuck watcher's stream is still open: it was never cut off")
	}
	rows := 0
	for _, c := range res.all() {
		rows += d.checkWindows(c.CallSid)
	}
	if total != rows {
		t.Errorf("the reading watcher saw %d verdicts, %d stored", total, rows)
	}
}

// cutOff reports whether the server has ended the stuck watcher's event
// stream: draining it reaches its end instead of waiting for more.
func cutOff(t *testing.T, conn net.Conn, body io.Reader) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, body)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Logf("stuck watcher: read %d bytes, then %v", n, err)
		return false // still open: heartbeats or nothing
	}
	return true // EOF (err == nil) or reset
}

// callsim drops the WebSocket without stop: the session still closes,
// with a summary of what it had.
func TestDrillDropWithoutStop(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := newDrill(t, drillOptions{vendor: resembletest.Options{Latency: 50 * time.Millisecond},
		env: []string{"CALLGUARD_WINDOW=1s"}})
	var res results
	cfg := d.config(speech(t), 2, 3500*time.Millisecond, true)
	cfg.DropWithoutStop = true
	cfg.OnCall = res.add
	rep, err := sim.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CallsEnded != 2 {
		t.Errorf("%d of 2 dropped calls ended with a summary event", rep.CallsEnded)
	}
	for _, c := range res.all() {
		// 3.5 s of audio: windows 0, 1, 2 and the partial 3.
		if rows := d.checkWindows(c.CallSid); rows < 3 {
			t.Errorf("call %s: %d windows stored, want ≥ 3", c.CallSid, rows)
		}
	}
}

// A flood of forged Twilio requests: all 403, nothing written, live calls
// unaffected.
func TestDrillForgedWebhookFlood(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := newDrill(t, drillOptions{vendor: resembletest.Options{Latency: 50 * time.Millisecond},
		env: []string{"CALLGUARD_WINDOW=1s"}})
	var res results
	cfg := d.config(speech(t), 2, 6*time.Second, true)
	cfg.OnCall = res.add
	repc := make(chan *sim.Report, 1)
	go func() {
		rep, err := sim.Run(context.Background(), cfg)
		if err != nil {
			t.Error(err)
		}
		repc <- rep
	}()

	const forged = 300
	var codes sync.Map // status → count
	count := func(code int) {
		v, _ := codes.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	forgedSids := make([]string, forged)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range forged {
		forgedSids[i] = sim.NewSid("CA")
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			form := sim.VoiceWebhook{AccountSid: sim.NewSid("AC"), CallSid: forgedSids[i], From: "+15550000000", To: "+15550000001"}.Form()
			path := "/twilio/voice"
			switch i % 3 {
			case 1:
				path = "/twilio/stream-status"
				form.Set("StreamSid", sim.NewSid("MZ"))
				form.Set("StreamEvent", "stream-started")
			case 2:
				c, err := mediatest.Dial(context.Background(), "ws"+strings.TrimPrefix(d.srv.URL, "http")+"/twilio/media",
					mediatest.DialOptions{AuthToken: "forged-token", SignURL: "wss" + strings.TrimPrefix(d.srv.PublicURL, "https") + "/twilio/media",
						CallSid: forgedSids[i]})
				var hs *mediatest.HandshakeError
				switch {
				case errors.As(err, &hs):
					count(hs.StatusCode)
				case err == nil:
					c.Close()
					count(101)
				default:
					count(-1)
				}
				return
			}
			// Signed, but with the wrong token (or not at all).
			body := form.Encode()
			req, _ := http.NewRequest(http.MethodPost, d.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if i%2 == 0 {
				req.Header.Set(twiliotest.SignatureHeader, twiliotest.Signature("forged-token", d.srv.PublicURL+path, form))
			}
			resp, err := client.Do(req)
			if err != nil {
				count(-1)
				return
			}
			resp.Body.Close()
			count(resp.StatusCode)
		})
	}
	wg.Wait()
	codes.Range(func(k, v any) bool {
		if k.(int) != http.StatusForbidden {
			t.Errorf("%d forged requests answered %d, want 403", v.(*atomic.Int64).Load(), k.(int))
		}
		return true
	})

	rep := <-repc
	if rep.CallsFailed != 0 || rep.CallsEnded != 2 {
		t.Errorf("live calls during the flood: failed %d (%v), ended %d of 2", rep.CallsFailed, rep.ErrorSamples, rep.CallsEnded)
	}
	for _, c := range res.all() {
		if rows := d.checkWindows(c.CallSid); rows < 6 {
			t.Errorf("live call %s: %d windows, want ≥ 6", c.CallSid, rows)
		}
	}
	for _, sid := range forgedSids[:20] {
		if code := d.getJSON("/v1/calls/"+sid, nil); code != http.StatusNotFound {
			t.Errorf("forged call %s: GET answered %d, want 404 (nothing written)", sid, code)
		}
	}
	var page struct {
		Items []struct {
			CallSid string `json:"call_sid"`
		} `json:"items"`
	}
	d.getJSON("/v1/calls?limit=100", &page)
	if len(page.Items) != 2 {
		t.Errorf("%d calls stored, want the 2 live ones", len(page.Items))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// skipShort skips a drill under -short: each starts a server process and
// plays real-time calls for several seconds.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: fault drills start the server and play real-time calls")
	}
}
