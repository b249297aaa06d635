package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestStore runs the same suite on every backend.
func TestStore(t *testing.T) {
	for name, open := range backends() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
			}
		})
	}
}

var suite = []struct {
	name string
	fn   func(t *testing.T, open factory)
}{
	{"Backend", testBackend},
	{"Calls", testCalls},
	{"Streams", testStreams},
	{"DetectionLifecycle", testDetectionLifecycle},
	{"SummaryAfterEnd", testSummaryAfterEnd},
	{"DoubleStartConflicts", testDoubleStart},
	{"ConcurrentStartOneWins", testConcurrentStart},
	{"ListDetections", testListDetections},
	{"VerdictInsertIdempotent", testVerdictIdempotent},
	{"VerdictPaging", testVerdictPaging},
	{"Numbers", testNumbers},
	{"Tokens", testTokens},
	{"Actions", testActions},
	{"Events", testEvents},
	{"Migrations", testMigrations},
	{"SkipMigrations", testSkipMigrations},
	{"ConcurrentWriters", testConcurrentWriters},
	{"ConcurrentDuplicateVerdicts", testConcurrentDuplicateVerdicts},
	{"BadCursorAndLimit", testBadCursor},
}

var ctx = context.Background()

// fixedClock returns a clock that advances by one millisecond per call,
// starting at a time with sub-microsecond digits and a non-UTC zone, to
// check normalization.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func mustErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func testBackend(t *testing.T, open factory) {
	s := open(t, nil)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckMigrations(ctx); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	if b := s.Backend(); b != SQLite && b != Postgres {
		t.Fatalf("Backend() = %q", b)
	}
}

func testCalls(t *testing.T, open factory) {
	s := open(t, &Options{Now: fixedClock()})
	_, err := s.GetCall(ctx, "CAnope")
	mustErr(t, err, ErrNotFound)
	_, err = s.UpsertCall(ctx, Call{})
	mustErr(t, err, ErrInvalid)

	c := must[Call](t)(s.UpsertCall(ctx, Call{Sid: "CA1", From: "+15550001", To: "+15550002", Status: "ringing"}))
	if c.CreatedAt.Location() != time.UTC || c.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("CreatedAt %v not UTC at microsecond precision", c.CreatedAt)
	}
	// A partial update keeps what it does not set.
	ended := time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)
	c2 := must[Call](t)(s.UpsertCall(ctx, Call{Sid: "CA1", Status: "completed", EndedAt: ended}))
	if c2.From != "+15550001" || c2.Status != "completed" || !c2.EndedAt.Equal(ended) || !c2.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("after update: %+v", c2)
	}
	if !c2.UpdatedAt.After(c.UpdatedAt) {
		t.Errorf("UpdatedAt did not advance: %v then %v", c.UpdatedAt, c2.UpdatedAt)
	}
	got := must[Call](t)(s.GetCall(ctx, "CA1"))
	if got != c2 {
		t.Errorf("GetCall = %+v, want %+v", got, c2)
	}

	for i := range 4 {
		must[Call](t)(s.UpsertCall(ctx, Call{Sid: fmt.Sprintf("CA%d", i+2)}))
	}
	var sids []string
	page := PageRequest{Limit: 2}
	for n := 0; ; n++ {
		p := must[Page[Call]](t)(s.ListCalls(ctx, page))
		for _, c := range p.Items {
			sids = append(sids, c.Sid)
		}
		if p.NextCursor == "" {
			break
		}
		if n > 5 {
			t.Fatal("paging does not end")
		}
		page.Cursor = p.NextCursor
	}
	if want := []string{"CA5", "CA4", "CA3", "CA2", "CA1"}; !slices.Equal(sids, want) {
		t.Errorf("paged calls %v, want %v", sids, want)
	}
}

func testStreams(t *testing.T, open factory) {
	s := open(t, nil)
	_, err := s.GetStream(ctx, "MZnope")
	mustErr(t, err, ErrNotFound)
	st := must[Stream](t)(s.UpsertStream(ctx, Stream{Sid: "MZ1", CallSid: "CA1", Name: "cg", Tracks: []string{"inbound"}}))
	if st.Status != StreamStarted || !slices.Equal(st.Tracks, []string{"inbound"}) {
		t.Errorf("inserted %+v", st)
	}
	// The call row was created with it.
	must[Call](t)(s.GetCall(ctx, "CA1"))
	stats := json.RawMessage(`{"frames":10,"gaps":1}`)
	st2 := must[Stream](t)(s.UpsertStream(ctx, Stream{Sid: "MZ1", CallSid: "CA1", Status: StreamStopped,
		EndedAt: time.Now(), Stats: stats}))
	if st2.Status != StreamStopped || st2.Name != "cg" || !slices.Equal(st2.Tracks, []string{"inbound"}) ||
		string(st2.Stats) != string(stats) || st2.EndedAt.IsZero() {
		t.Errorf("updated %+v", st2)
	}
	// An update without a status keeps the stored one.
	st3 := must[Stream](t)(s.UpsertStream(ctx, Stream{Sid: "MZ1", CallSid: "CA1", Error: "31921"}))
	if st3.Status != StreamStopped || st3.Error != "31921" || string(st3.Stats) != string(stats) {
		t.Errorf("status-less update: %+v", st3)
	}
	_, err = s.UpsertStream(ctx, Stream{Sid: "MZ1", CallSid: "CA2"})
	mustErr(t, err, ErrConflict)
	_, err = s.UpsertStream(ctx, Stream{Sid: "MZ2", CallSid: "CA1", Stats: json.RawMessage(`{`)})
	mustErr(t, err, ErrInvalid)
	_, err = s.UpsertStream(ctx, Stream{Sid: "MZ2", CallSid: "CA1", Status: "weird"})
	mustErr(t, err, ErrInvalid)
	list := must[[]Stream](t)(s.ListStreams(ctx, "CA1"))
	if len(list) != 1 || list[0].Sid != "MZ1" {
		t.Errorf("ListStreams = %+v", list)
	}
}

func testDetectionLifecycle(t *testing.T, open factory) {
	s := open(t, nil)
	d := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound",
		Window: 2 * time.Second, Hop: time.Second, Simulated: true}))
	if d.ID == "" || d.Status != DetectionStarting || d.Window != 2*time.Second || d.Hop != time.Second ||
		!d.Simulated || d.StartedAt.IsZero() || !d.StoppedAt.IsZero() {
		t.Fatalf("created %+v", d)
	}
	if got := must[Detection](t)(s.GetDetection(ctx, d.ID)); got.ID != d.ID || got.Status != d.Status {
		t.Errorf("GetDetection = %+v", got)
	}
	if got := must[Detection](t)(s.ActiveDetection(ctx, "CA1", "inbound")); got.ID != d.ID {
		t.Errorf("ActiveDetection = %+v", got)
	}
	a := must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionActive, StreamSid: "MZ1"}))
	if a.Status != DetectionActive || a.StreamSid != "MZ1" {
		t.Errorf("activated %+v", a)
	}
	// Repeating active is allowed and keeps the stream SID.
	a = must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionActive}))
	if a.StreamSid != "MZ1" {
		t.Errorf("stream sid lost: %+v", a)
	}
	summary := json.RawMessage(`{"windows":3,"fake":1}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	stopped := must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionStopped, Summary: summary, At: at}))
	if stopped.Status != DetectionStopped || !stopped.StoppedAt.Equal(at) || string(stopped.Summary) != string(summary) {
		t.Errorf("stopped %+v", stopped)
	}
	_, err := s.ActiveDetection(ctx, "CA1", "inbound")
	mustErr(t, err, ErrNotFound)

	// Stopping again, failing or re-activating a stopped session conflicts.
	for _, to := range []DetectionStatus{DetectionStopped, DetectionFailed, DetectionActive, DetectionStarting} {
		_, err = s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: to})
		var te *TransitionError
		if !errors.As(err, &te) || te.From != DetectionStopped || te.To != to || !errors.Is(err, ErrConflict) {
			t.Errorf("stopped → %s: %v", to, err)
		}
	}
	_, err = s.UpdateDetection(ctx, "det_nope", DetectionUpdate{Status: DetectionStopped})
	mustErr(t, err, ErrNotFound)
	_, err = s.GetDetection(ctx, "det_nope")
	mustErr(t, err, ErrNotFound)
	_, err = s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: "paused"})
	mustErr(t, err, ErrInvalid)
	_, err = s.CreateDetection(ctx, Detection{CallSid: "CA1"})
	mustErr(t, err, ErrInvalid)
	_, err = s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound", Status: DetectionStopped})
	mustErr(t, err, ErrInvalid)

	// Failing records the reason.
	d2 := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"}))
	f := must[Detection](t)(s.UpdateDetection(ctx, d2.ID, DetectionUpdate{Status: DetectionFailed, Error: "31920 stream failed"}))
	if f.Status != DetectionFailed || f.Error != "31920 stream failed" || f.StoppedAt.IsZero() {
		t.Errorf("failed %+v", f)
	}
}

// A detection ended elsewhere (stopped through the API on a replica that
// does not hold its stream) still gets the holder's final summary, and
// keeps its status, stop time and error.
func testSummaryAfterEnd(t *testing.T, open factory) {
	s := open(t, &Options{Now: fixedClock()})
	d := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"}))
	must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionActive, StreamSid: "MZ1"}))

	// Starting or active: the summary comes with UpdateDetection, not here.
	_, err := s.SetDetectionSummary(ctx, d.ID, json.RawMessage(`{"windows":1}`))
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("summary on an active detection: %v", err)
	}
	if got := must[Detection](t)(s.GetDetection(ctx, d.ID)); len(got.Summary) != 0 || got.Status != DetectionActive {
		t.Fatalf("refused summary changed the row: %+v", got)
	}

	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	stopped := must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionStopped, At: at}))
	_, err = s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionStopped, Summary: json.RawMessage(`{"windows":9}`)})
	var te *TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("stopped → stopped: %v", err)
	}
	summary := json.RawMessage(`{"windows":9,"fake":2,"decision":"likely_fake"}`)
	got := must[Detection](t)(s.SetDetectionSummary(ctx, d.ID, summary))
	if got.Status != DetectionStopped || !got.StoppedAt.Equal(at) || got.StreamSid != "MZ1" || got.Error != "" ||
		!jsonEqual(got.Summary, summary) || !got.UpdatedAt.After(stopped.UpdatedAt) {
		t.Fatalf("after SetDetectionSummary %+v (stopped %+v)", got, stopped)
	}
	if again := must[Detection](t)(s.GetDetection(ctx, d.ID)); !jsonEqual(again.Summary, summary) || again.Status != DetectionStopped {
		t.Fatalf("stored %+v", again)
	}
	// A later summary replaces the earlier one.
	repl := json.RawMessage(`{"windows":10}`)
	if got := must[Detection](t)(s.SetDetectionSummary(ctx, d.ID, repl)); !jsonEqual(got.Summary, repl) {
		t.Fatalf("replaced %+v", got)
	}

	// A failed detection keeps its error.
	f := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "outbound"}))
	must[Detection](t)(s.UpdateDetection(ctx, f.ID, DetectionUpdate{Status: DetectionFailed, Error: "31921 stream closed"}))
	if got := must[Detection](t)(s.SetDetectionSummary(ctx, f.ID, summary)); got.Status != DetectionFailed ||
		got.Error != "31921 stream closed" || !jsonEqual(got.Summary, summary) {
		t.Fatalf("failed detection after summary %+v", got)
	}

	_, err = s.SetDetectionSummary(ctx, "det_nope", summary)
	mustErr(t, err, ErrNotFound)
	for _, bad := range []json.RawMessage{nil, json.RawMessage(`{"windows":`)} {
		_, err = s.SetDetectionSummary(ctx, d.ID, bad)
		mustErr(t, err, ErrInvalid)
	}
	if got := must[Detection](t)(s.GetDetection(ctx, d.ID)); !jsonEqual(got.Summary, repl) {
		t.Fatalf("invalid summaries changed the row: %+v", got)
	}
}

// jsonEqual compares JSON values, ignoring the formatting PostgreSQL's
// jsonb applies.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func testDoubleStart(t *testing.T, open factory) {
	s := open(t, nil)
	d := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"}))
	_, err := s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"})
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Existing != d.ID || !errors.Is(err, ErrConflict) {
		t.Fatalf("double start: %v", err)
	}
	// Also while active.
	must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionActive}))
	_, err = s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"})
	mustErr(t, err, ErrConflict)
	// Another track or call is fine.
	must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "outbound"}))
	must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA2", Track: "inbound"}))
	// Reusing an ID conflicts.
	_, err = s.CreateDetection(ctx, Detection{ID: d.ID, CallSid: "CA3", Track: "inbound"})
	mustErr(t, err, ErrConflict)
	// After a stop a new detection may start.
	must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionStopped}))
	d3 := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"}))
	if d3.ID == d.ID {
		t.Fatal("same ID")
	}
}

func testConcurrentStart(t *testing.T, open factory) {
	s := open(t, nil)
	const n = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, confl int
		other     []error
	)
	for range n {
		wg.Go(func() {
			_, err := s.CreateDetection(ctx, Detection{CallSid: "CA1", Track: "inbound"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrConflict):
				confl++
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || confl != n-1 || len(other) > 0 {
		t.Fatalf("%d started, %d conflicts, other errors %v", ok, confl, other)
	}
}

func testListDetections(t *testing.T, open factory) {
	s := open(t, &Options{Now: fixedClock()})
	var ids []string
	for i := range 5 {
		d := must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: fmt.Sprintf("CA%d", i%2), Track: "inbound"}))
		ids = append(ids, d.ID)
		if i < 4 {
			must[Detection](t)(s.UpdateDetection(ctx, d.ID, DetectionUpdate{Status: DetectionStopped}))
		}
	}
	var got []string
	page := PageRequest{Limit: 2}
	for {
		p := must[Page[Detection]](t)(s.ListDetections(ctx, DetectionFilter{}, page))
		if len(p.Items) > 2 {
			t.Fatalf("page of %d > limit", len(p.Items))
		}
		for _, d := range p.Items {
			got = append(got, d.ID)
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("newest first: got %v, want %v", got, want)
	}
	p := must[Page[Detection]](t)(s.ListDetections(ctx, DetectionFilter{CallSid: "CA0"}, PageRequest{}))
	if len(p.Items) != 3 || p.NextCursor != "" {
		t.Errorf("CA0 detections: %d, cursor %q", len(p.Items), p.NextCursor)
	}
	p = must[Page[Detection]](t)(s.ListDetections(ctx, DetectionFilter{Status: DetectionStarting}, PageRequest{}))
	if len(p.Items) != 1 || p.Items[0].ID != ids[4] {
		t.Errorf("starting detections: %+v", p.Items)
	}
	_, err := s.ListDetections(ctx, DetectionFilter{Status: "nope"}, PageRequest{})
	mustErr(t, err, ErrInvalid)
}

func newDetection(t *testing.T, s Store, callSid string) Detection {
	t.Helper()
	return must[Detection](t)(s.CreateDetection(ctx, Detection{CallSid: callSid, Track: "inbound"}))
}

func testVerdictIdempotent(t *testing.T, open factory) {
	s := open(t, nil)
	d := newDetection(t, s, "CA1")
	v := Verdict{DetectionID: d.ID, WindowStart: 2 * time.Second, WindowEnd: 4 * time.Second, Label: "fake",
		Score: 0.97, Vendor: "resemble", VendorID: "r1", Latency: 153 * time.Millisecond, Simulated: true,
		Raw: json.RawMessage(`{"score":0.97}`)}
	first, created, err := s.InsertVerdict(ctx, v)
	if err != nil || !created {
		t.Fatalf("first insert: created=%v err=%v", created, err)
	}
	if first.ID == 0 || first.CallSid != "CA1" || first.Track != "inbound" || first.Latency != 153*time.Millisecond ||
		first.WindowStart != 2*time.Second || first.WindowEnd != 4*time.Second || first.Score != 0.97 ||
		!first.Simulated || string(first.Raw) != `{"score":0.97}` {
		t.Errorf("stored %+v", first)
	}
	// A retry, even with different content, stores nothing new.
	v.Score = 0.1
	again, created, err := s.InsertVerdict(ctx, v)
	if err != nil || created || again.ID != first.ID || again.Score != 0.97 {
		t.Fatalf("retry: created=%v err=%v row=%+v", created, err, again)
	}
	p := must[Page[Verdict]](t)(s.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{}))
	if len(p.Items) != 1 {
		t.Fatalf("%d rows after retry, want 1", len(p.Items))
	}
	_, _, err = s.InsertVerdict(ctx, Verdict{DetectionID: "det_nope", Label: "real"})
	mustErr(t, err, ErrNotFound)
	_, _, err = s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, CallSid: "CA2", Label: "real", WindowStart: 9 * time.Second, WindowEnd: 10 * time.Second})
	mustErr(t, err, ErrInvalid)
	_, _, err = s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, Label: "real", WindowStart: 3 * time.Second, WindowEnd: time.Second})
	mustErr(t, err, ErrInvalid)
	_, _, err = s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, Label: "real", Raw: json.RawMessage("nope")})
	mustErr(t, err, ErrInvalid)
}

func testVerdictPaging(t *testing.T, open factory) {
	s := open(t, nil)
	d1, d2 := newDetection(t, s, "CA1"), newDetection(t, s, "CA2")
	for i := range 7 {
		for _, d := range []Detection{d1, d2} {
			if _, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
				WindowEnd: time.Duration(i+2) * time.Second, Label: []string{"real", "fake"}[i%2], Score: float64(i) / 10}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var starts []time.Duration
	page := PageRequest{Limit: 3}
	for pages := 1; ; pages++ {
		p := must[Page[Verdict]](t)(s.ListVerdicts(ctx, VerdictFilter{CallSid: "CA2"}, page))
		for _, v := range p.Items {
			if v.DetectionID != d2.ID {
				t.Fatalf("verdict of %s in CA2 listing", v.DetectionID)
			}
			starts = append(starts, v.WindowStart)
		}
		if p.NextCursor == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		page.Cursor = p.NextCursor
	}
	if len(starts) != 7 || !slices.IsSorted(starts) {
		t.Errorf("window starts %v", starts)
	}
	p := must[Page[Verdict]](t)(s.ListVerdicts(ctx, VerdictFilter{DetectionID: d1.ID, Label: "fake"}, PageRequest{}))
	if len(p.Items) != 3 {
		t.Errorf("%d fake verdicts in d1, want 3", len(p.Items))
	}
}

func testNumbers(t *testing.T, open factory) {
	s := open(t, nil)
	_, err := s.GetNumber(ctx, "+15550001")
	mustErr(t, err, ErrNotFound)
	n := must[Number](t)(s.PutNumber(ctx, Number{E164: "+15550001", Enabled: true}))
	if n.Track != TrackInbound || n.Action != ActionNotify || !n.Enabled || n.UpdatedAt.IsZero() {
		t.Errorf("defaults: %+v", n)
	}
	n2 := must[Number](t)(s.PutNumber(ctx, Number{E164: "+15550001", Enabled: false, Track: TrackBoth,
		Action: ActionRedirect, RedirectURL: "https://verify.example.com/x"}))
	if n2.Enabled || n2.Track != TrackBoth || n2.Action != ActionRedirect || n2.RedirectURL == "" || n2.UpdatedAt.Before(n.UpdatedAt) {
		t.Errorf("upserted %+v", n2)
	}
	if got := must[Number](t)(s.GetNumber(ctx, "+15550001")); got != n2 {
		t.Errorf("GetNumber = %+v, want %+v", got, n2)
	}
	for _, bad := range []Number{
		{E164: "15550001"}, {E164: "+0555"}, {E164: "+1555abc"}, {E164: "+1234567890123456"},
		{E164: "+15550001", Track: "left"}, {E164: "+15550001", Action: "explode"},
		{E164: "+15550001", Action: ActionRedirect}, {E164: "+15550001", Action: ActionRedirect, RedirectURL: "ftp://x"},
	} {
		_, err := s.PutNumber(ctx, bad)
		var ie *InvalidError
		if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
			t.Errorf("PutNumber(%+v) = %v, want InvalidError", bad, err)
		}
	}
	for _, e := range []string{"+15550003", "+15550002", "+15550004"} {
		must[Number](t)(s.PutNumber(ctx, Number{E164: e}))
	}
	var got []string
	page := PageRequest{Limit: 3}
	for {
		p := must[Page[Number]](t)(s.ListNumbers(ctx, page))
		for _, n := range p.Items {
			got = append(got, n.E164)
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	if want := []string{"+15550001", "+15550002", "+15550003", "+15550004"}; !slices.Equal(got, want) {
		t.Errorf("numbers %v, want %v", got, want)
	}
	if err := s.DeleteNumber(ctx, "+15550002"); err != nil {
		t.Fatal(err)
	}
	mustErr(t, s.DeleteNumber(ctx, "+15550002"), ErrNotFound)
}

func testTokens(t *testing.T, open factory) {
	s := open(t, nil)
	token, hash := NewToken()
	if len(hash) != 32 || string(HashToken(token)) != string(hash) {
		t.Fatal("NewToken hash mismatch")
	}
	tok := must[APIToken](t)(s.CreateAPIToken(ctx, APIToken{Name: "ci", Hash: hash}))
	if tok.ID == "" || tok.CreatedAt.IsZero() {
		t.Errorf("created %+v", tok)
	}
	got := must[APIToken](t)(s.APITokenByHash(ctx, HashToken(token)))
	if got.ID != tok.ID || got.Name != "ci" {
		t.Errorf("by hash: %+v", got)
	}
	_, err := s.APITokenByHash(ctx, HashToken(token+"x"))
	mustErr(t, err, ErrNotFound)
	_, err = s.APITokenByHash(ctx, []byte("short"))
	mustErr(t, err, ErrNotFound)
	_, err = s.CreateAPIToken(ctx, APIToken{Name: "dup", Hash: hash})
	mustErr(t, err, ErrConflict)
	_, err = s.CreateAPIToken(ctx, APIToken{Name: "bad", Hash: []byte(token)})
	mustErr(t, err, ErrInvalid)

	if err := s.TouchAPIToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[APIToken](t)(s.APITokenByHash(ctx, hash)); got.LastUsedAt.IsZero() {
		t.Error("LastUsedAt not set")
	}
	mustErr(t, s.TouchAPIToken(ctx, "tok_nope"), ErrNotFound)
	_, hash2 := NewToken()
	tok2 := must[APIToken](t)(s.CreateAPIToken(ctx, APIToken{Name: "second", Hash: hash2}))
	if err := s.RevokeAPIToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.APITokenByHash(ctx, hash)
	mustErr(t, err, ErrNotFound)
	p := must[Page[APIToken]](t)(s.ListAPITokens(ctx, PageRequest{Limit: 1}))
	if len(p.Items) != 1 || p.Items[0].ID != tok.ID || p.Items[0].RevokedAt.IsZero() || p.NextCursor == "" {
		t.Fatalf("first page %+v", p)
	}
	p = must[Page[APIToken]](t)(s.ListAPITokens(ctx, PageRequest{Limit: 1, Cursor: p.NextCursor}))
	if len(p.Items) != 1 || p.Items[0].ID != tok2.ID || p.NextCursor != "" {
		t.Fatalf("second page %+v", p)
	}
}

func testActions(t *testing.T, open factory) {
	s := open(t, nil)
	d := newDetection(t, s, "CA1")
	var ids []int64
	for i := range 3 {
		v, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
			WindowEnd: time.Duration(i+1) * time.Second, Label: "fake", Score: 0.9})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	a := must[ActionRecord](t)(s.RecordAction(ctx, ActionRecord{CallSid: "CA1", DetectionID: d.ID,
		Action: ActionHangup, VerdictIDs: []int64{ids[2], ids[0], ids[2]}}))
	if a.ID == "" || a.Status != ActionDone || !slices.Equal(a.VerdictIDs, []int64{ids[0], ids[2]}) || a.DetectionID != d.ID {
		t.Errorf("recorded %+v", a)
	}
	// The same ID again is a no-op.
	again := must[ActionRecord](t)(s.RecordAction(ctx, ActionRecord{ID: a.ID, CallSid: "CA1", Action: ActionHangup, VerdictIDs: []int64{ids[1]}}))
	if !slices.Equal(again.VerdictIDs, a.VerdictIDs) {
		t.Errorf("repeat changed verdicts: %v", again.VerdictIDs)
	}
	must[ActionRecord](t)(s.RecordAction(ctx, ActionRecord{CallSid: "CA1", Action: ActionAnnounce, Status: ActionFailed, Error: "twilio 500"}))
	_, err := s.RecordAction(ctx, ActionRecord{CallSid: "CA1", Action: ActionNotify, VerdictIDs: []int64{ids[0], 999999}})
	mustErr(t, err, ErrNotFound)
	_, err = s.RecordAction(ctx, ActionRecord{CallSid: "CA1", DetectionID: "det_nope", Action: ActionNotify})
	mustErr(t, err, ErrNotFound)
	_, err = s.RecordAction(ctx, ActionRecord{CallSid: "CA1", Action: "explode"})
	mustErr(t, err, ErrInvalid)
	list := must[[]ActionRecord](t)(s.ListActions(ctx, "CA1"))
	if len(list) != 2 || list[0].ID != a.ID || list[1].Action != ActionAnnounce || list[1].Error != "twilio 500" ||
		len(list[1].VerdictIDs) != 0 {
		t.Errorf("ListActions = %+v", list)
	}
	if l := must[[]ActionRecord](t)(s.ListActions(ctx, "CAnone")); len(l) != 0 {
		t.Errorf("actions of unknown call: %+v", l)
	}
}

func testEvents(t *testing.T, open factory) {
	s := open(t, nil)
	e1, created, err := s.AppendEvent(ctx, Event{ID: "ev1", Type: "verdict", CallSid: "CA1", Data: json.RawMessage(`{"label":"fake"}`)})
	if err != nil || !created || e1.Seq == 0 || e1.Time.IsZero() {
		t.Fatalf("append: %+v %v %v", e1, created, err)
	}
	dup, created, err := s.AppendEvent(ctx, Event{ID: "ev1", Type: "other"})
	if err != nil || created || dup.Seq != e1.Seq || dup.Type != "verdict" || string(dup.Data) != `{"label":"fake"}` {
		t.Fatalf("duplicate append: %+v %v %v", dup, created, err)
	}
	for i := range 5 {
		typ := []string{"alert", "verdict"}[i%2]
		if _, _, err := s.AppendEvent(ctx, Event{Type: typ, CallSid: fmt.Sprintf("CA%d", 1+i%2)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = s.AppendEvent(ctx, Event{Type: ""})
	mustErr(t, err, ErrInvalid)

	var seqs []int64
	page := PageRequest{Limit: 4}
	for {
		p := must[Page[Event]](t)(s.ListEvents(ctx, EventFilter{}, page))
		for _, e := range p.Items {
			seqs = append(seqs, e.Seq)
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	if len(seqs) != 6 || !slices.IsSorted(seqs) || seqs[0] != e1.Seq {
		t.Errorf("seqs %v", seqs)
	}
	p := must[Page[Event]](t)(s.ListEvents(ctx, EventFilter{CallSid: "CA1", Types: []string{"verdict", "alert"}}, PageRequest{}))
	if len(p.Items) != 4 {
		t.Errorf("CA1 events: %d, want 4", len(p.Items))
	}
	p = must[Page[Event]](t)(s.ListEvents(ctx, EventFilter{Types: []string{"alert"}, AfterSeq: seqs[1]}, PageRequest{}))
	if len(p.Items) != 2 {
		t.Errorf("alerts after %d: %d, want 2", seqs[1], len(p.Items))
	}
	p = must[Page[Event]](t)(s.ListEvents(ctx, EventFilter{Since: time.Now().Add(time.Hour)}, PageRequest{}))
	if len(p.Items) != 0 {
		t.Errorf("future events: %d", len(p.Items))
	}
}

func testMigrations(t *testing.T, open factory) {
	s := open(t, nil)
	st := must[[]MigrationStatus](t)(s.Migrate(ctx, "status"))
	if len(st) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range st {
		if !m.Applied || m.AppliedAt.IsZero() || m.Version == 0 || m.Name == "" {
			t.Errorf("after open: %+v", m)
		}
	}
	if err := s.CheckMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	down := must[[]MigrationStatus](t)(s.Migrate(ctx, "down"))
	if last := down[len(down)-1]; last.Applied {
		t.Errorf("latest still applied after down: %+v", last)
	}
	mustErr(t, s.CheckMigrations(ctx), ErrMigrationsPending)
	if len(down) == 1 {
		// The only migration is gone, and the tables with it.
		_, err := s.GetCall(ctx, "CA1")
		if err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("GetCall without tables: %v", err)
		}
	}
	up := must[[]MigrationStatus](t)(s.Migrate(ctx, "up"))
	for _, m := range up {
		if !m.Applied {
			t.Errorf("after up: %+v", m)
		}
	}
	if err := s.CheckMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	must[Call](t)(s.UpsertCall(ctx, Call{Sid: "CA1"}))
	_, err := s.Migrate(ctx, "sideways")
	mustErr(t, err, ErrInvalid)
}

func testSkipMigrations(t *testing.T, open factory) {
	s := open(t, &Options{SkipMigrations: true})
	mustErr(t, s.CheckMigrations(ctx), ErrMigrationsPending)
	st := must[[]MigrationStatus](t)(s.Migrate(ctx, "status"))
	for _, m := range st {
		if m.Applied {
			t.Errorf("applied without migrating: %+v", m)
		}
	}
	must[[]MigrationStatus](t)(s.Migrate(ctx, "up"))
	if err := s.CheckMigrations(ctx); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentWriters has writers of every kind run at once; none may
// fail (no SQLITE_BUSY, no lost rows).
func testConcurrentWriters(t *testing.T, open factory) {
	s := open(t, nil)
	const writers, each = 6, 15
	dets := make([]Detection, writers)
	for i := range dets {
		dets[i] = newDetection(t, s, fmt.Sprintf("CA%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*3)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Every window twice, as a retrying caller would.
				for range 2 {
					if _, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: dets[w].ID, WindowStart: time.Duration(i) * time.Second,
						WindowEnd: time.Duration(i+1) * time.Second, Label: "real", Score: 0.1}); err != nil {
						errs <- err
					}
				}
				if _, _, err := s.AppendEvent(ctx, Event{Type: "verdict", CallSid: dets[w].CallSid}); err != nil {
					errs <- err
				}
				if _, err := s.PutNumber(ctx, Number{E164: fmt.Sprintf("+1555000%d", i%3), Enabled: w%2 == 0}); err != nil {
					errs <- err
				}
			}
		})
		// Readers alongside.
		wg.Go(func() {
			for range each {
				if _, err := s.ListVerdicts(ctx, VerdictFilter{CallSid: dets[w].CallSid}, PageRequest{}); err != nil {
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
	for _, d := range dets {
		p := must[Page[Verdict]](t)(s.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{Limit: MaxPageLimit}))
		if len(p.Items) != each {
			t.Errorf("%s: %d verdicts, want %d", d.ID, len(p.Items), each)
		}
	}
	p := must[Page[Event]](t)(s.ListEvents(ctx, EventFilter{}, PageRequest{Limit: MaxPageLimit}))
	if len(p.Items) != writers*each {
		t.Errorf("%d events, want %d", len(p.Items), writers*each)
	}
}

// testConcurrentDuplicateVerdicts races several writers on the same
// windows: each window must be stored once and reported new exactly once.
func testConcurrentDuplicateVerdicts(t *testing.T, open factory) {
	s := open(t, nil)
	d := newDetection(t, s, "CA1")
	const racers, windows = 4, 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created = map[time.Duration]int{}
		ids     = map[time.Duration]int64{}
	)
	for range racers {
		wg.Go(func() {
			for i := range windows {
				start := time.Duration(i) * 2 * time.Second
				v, isNew, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: start, WindowEnd: start + 2*time.Second,
					Label: "fake", Score: 0.8})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if isNew {
					created[start]++
				}
				if prev, ok := ids[start]; ok && prev != v.ID {
					t.Errorf("window %v: IDs %d and %d", start, prev, v.ID)
				}
				ids[start] = v.ID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := range windows {
		if n := created[time.Duration(i)*2*time.Second]; n != 1 {
			t.Errorf("window %d reported new %d times", i, n)
		}
	}
	p := must[Page[Verdict]](t)(s.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{}))
	if len(p.Items) != windows {
		t.Errorf("%d rows, want %d", len(p.Items), windows)
	}
}

func testBadCursor(t *testing.T, open factory) {
	s := open(t, nil)
	for _, c := range []string{"zz", encodeCursor("a"), encodeCursor("not-a-time", "x"), "7b7d"} {
		_, err := s.ListCalls(ctx, PageRequest{Cursor: c})
		mustErr(t, err, ErrInvalid)
	}
	_, err := s.ListVerdicts(ctx, VerdictFilter{}, PageRequest{Cursor: encodeCursor("x")})
	mustErr(t, err, ErrInvalid)
	_, err = s.ListEvents(ctx, EventFilter{}, PageRequest{Limit: -1})
	mustErr(t, err, ErrInvalid)
	// Over the cap is clamped, not refused.
	if _, err := s.ListNumbers(ctx, PageRequest{Limit: MaxPageLimit * 10}); err != nil {
		t.Fatal(err)
	}
}
