package detect_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callguard/callguard/detect"
)

// recorder collects verdicts and alerts, and fails the test if callbacks
// ever run concurrently.
type recorder struct {
	t        testing.TB
	busy     atomic.Bool
	mu       sync.Mutex
	verdicts []detect.Verdict
	alerts   []detect.Alert
}

func (r *recorder) enter() {
	if !r.busy.CompareAndSwap(false, true) {
		r.t.Error("callbacks ran concurrently")
	}
}

func (r *recorder) onVerdict(v detect.Verdict) {
	r.enter()
	defer r.busy.Store(false)
	r.mu.Lock()
	r.verdicts = append(r.verdicts, v)
	r.mu.Unlock()
}

func (r *recorder) onAlert(a detect.Alert) {
	r.enter()
	defer r.busy.Store(false)
	r.mu.Lock()
	r.alerts = append(r.alerts, a)
	r.mu.Unlock()
}

func (r *recorder) opts(o detect.SessionOptions) detect.SessionOptions {
	o.OnVerdict, o.OnAlert = r.onVerdict, r.onAlert
	return o
}

// clipLog is a Detector recording the clips it saw and answering Real.
type clipLog struct {
	mu    sync.Mutex
	clips []detect.Clip
}

func (c *clipLog) Detect(ctx context.Context, clip detect.Clip) (detect.Verdict, error) {
	c.mu.Lock()
	clip.Samples = append([]int16(nil), clip.Samples...)
	c.clips = append(c.clips, clip)
	c.mu.Unlock()
	return detect.Verdict{Label: detect.Real, Score: 0.1, Vendor: "test"}, nil
}

// ramp returns n samples whose values are their positions + 1 (never 0).
func ramp(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(i + 1)
	}
	return out
}

// writeChunks writes pcm in chunks whose sizes cycle through sizes.
func writeChunks(t testing.TB, s *detect.Session, pcm []int16, sizes []int) {
	t.Helper()
	for i := 0; len(pcm) > 0; i++ {
		n := min(max(sizes[i%len(sizes)], 0), len(pcm))
		if err := s.Write(pcm[:n]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[n:]
	}
}

func TestWindowingExact(t *testing.T) {
	const rate, total = 1000, 1050 // 100 ms windows = 100 samples; 10 full + 50 partial
	var log clipLog
	rec := &recorder{t: t}
	s := detect.NewSession(&log, rec.opts(detect.SessionOptions{
		CallSid: "CA1", Track: "inbound", Window: 100 * time.Millisecond, SampleRate: rate,
		MinSpeech: -1, MaxInFlight: 3, MaxQueued: 100,
	}))
	writeChunks(t, s, ramp(total), []int{1, 7, 160, 0, 33, 99, 100, 2})
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, total)
	for _, c := range log.clips {
		if c.SampleRate != rate || c.CallSid != "CA1" || c.Track != "inbound" {
			t.Errorf("clip metadata = %+v", c)
		}
		first := int(c.Samples[0]) - 1
		if want := time.Duration(first) * time.Millisecond; c.Start != want {
			t.Errorf("clip starting at sample %d has Start %v, want %v", first, c.Start, want)
		}
		for i, v := range c.Samples {
			if int(v)-1 != first+i {
				t.Fatalf("clip at %v not contiguous at %d", c.Start, i)
			}
			seen[int(v)-1]++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("sample %d in %d windows, want exactly 1", i, n)
		}
	}
	if len(rec.verdicts) != 11 || sum.Windows != 11 || sum.Judged != 11 {
		t.Fatalf("got %d verdicts, summary %+v; want 11", len(rec.verdicts), sum)
	}
	for i, v := range rec.verdicts {
		if v.Index != i || v.Label != detect.Real || v.CallSid != "CA1" {
			t.Errorf("verdict %d = %+v", i, v)
		}
	}
	if last := rec.verdicts[10]; last.Start != time.Second || last.End != 1050*time.Millisecond {
		t.Errorf("partial window = %v..%v, want 1s..1.05s", last.Start, last.End)
	}
	if sum.Decision != detect.LikelyReal {
		t.Errorf("decision %v, want likely_real", sum.Decision)
	}
}

func TestWindowingOverlapAndGap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		hop       time.Duration
		total     int
		wantStart []int // window start samples
		wantLen   []int
	}{
		{"overlap", 50 * time.Millisecond, 330, []int{0, 50, 100, 150, 200, 250}, []int{100, 100, 100, 100, 100, 80}},
		{"gap", 150 * time.Millisecond, 520, []int{0, 150, 300, 450}, []int{100, 100, 100, 70}},
		{"gap-ends-in-gap", 150 * time.Millisecond, 420, []int{0, 150, 300}, []int{100, 100, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log clipLog
			rec := &recorder{t: t}
			s := detect.NewSession(&log, rec.opts(detect.SessionOptions{
				Window: 100 * time.Millisecond, Hop: tc.hop, SampleRate: 1000, MinSpeech: -1, MaxInFlight: 1, MaxQueued: 100,
			}))
			writeChunks(t, s, ramp(tc.total), []int{13, 1, 64})
			if _, err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rec.verdicts) != len(tc.wantStart) {
				t.Fatalf("%d verdicts, want %d", len(rec.verdicts), len(tc.wantStart))
			}
			byStart := map[time.Duration]detect.Clip{}
			for _, c := range log.clips {
				byStart[c.Start] = c
			}
			for i, st := range tc.wantStart {
				c, ok := byStart[time.Duration(st)*time.Millisecond]
				if !ok {
					t.Fatalf("no window at sample %d", st)
				}
				if len(c.Samples) != tc.wantLen[i] || int(c.Samples[0]) != st+1 {
					t.Errorf("window %d: len %d first %d, want len %d first %d", i, len(c.Samples), c.Samples[0], tc.wantLen[i], st+1)
				}
				if v := rec.verdicts[i]; v.Start != c.Start || v.End != c.Start+time.Duration(len(c.Samples))*time.Millisecond {
					t.Errorf("verdict %d spans %v..%v", i, v.Start, v.End)
				}
			}
		})
	}
}

func loud(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16((i%2)*2-1) * 8000
	}
	return out
}

func TestSilenceSkip(t *testing.T) {
	var log clipLog
	rec := &recorder{t: t}
	s := detect.NewSession(&log, rec.opts(detect.SessionOptions{Window: 100 * time.Millisecond, SampleRate: 8000}))
	win := 800
	pcm := append(make([]int16, win), loud(win)...) // silence, speech
	pcm = append(pcm, make([]int16, win)...)        // silence
	quiet := loud(win)                              // speech for 1/8 of the window only: below MinSpeech (1/4)
	for i := win / 8; i < win; i++ {
		quiet[i] = 0
	}
	pcm = append(pcm, quiet...)
	pcm = append(pcm, loud(10)...) // 10-sample partial: too little speech
	if err := s.Write(pcm); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []detect.Label{detect.NoSpeech, detect.Real, detect.NoSpeech, detect.NoSpeech, detect.NoSpeech}
	if len(rec.verdicts) != len(want) {
		t.Fatalf("%d verdicts, want %d", len(rec.verdicts), len(want))
	}
	for i, v := range rec.verdicts {
		if v.Label != want[i] {
			t.Errorf("window %d: %v, want %v", i, v.Label, want[i])
		}
	}
	if len(log.clips) != 1 {
		t.Errorf("detector called %d times, want 1", len(log.clips))
	}
	if sum.Windows != 5 || sum.Speech != 1 || sum.Judged != 1 {
		t.Errorf("summary %+v", sum)
	}
	if sum.Decision != detect.Inconclusive {
		t.Errorf("decision %v with one judged window, want inconclusive", sum.Decision)
	}
}

func TestPolicyFiresOnce(t *testing.T) {
	rec := &recorder{t: t}
	var n atomic.Int32
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		i := n.Add(1)
		if i == 1 {
			return detect.Verdict{Label: detect.Real, Score: 0.2}, nil
		}
		return detect.Verdict{Label: detect.Fake, Score: 0.9}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{CallSid: "CA2", Window: 100 * time.Millisecond,
		SampleRate: 1000, MinSpeech: -1, MaxInFlight: 1, MaxQueued: 100}))
	if err := s.Write(loud(1000)); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(rec.alerts))
	}
	a := rec.alerts[0]
	if a.Index != 2 || a.CallSid != "CA2" || a.Score != 0.9 || !strings.Contains(a.Reason, "2 of the last 3") || len(a.Evidence) != 3 {
		t.Errorf("alert = %+v", a)
	}
	if !sum.Alerted || sum.Decision != detect.LikelyFake || sum.Fake != 9 || sum.MaxScore != 0.9 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestVerdictsInOrderWhenAnswersOutOfOrder(t *testing.T) {
	rec := &recorder{t: t}
	const windows = 24
	var finished []int
	var mu sync.Mutex
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		i := int(c.Start / (10 * time.Millisecond))
		// Earlier windows answer later.
		time.Sleep(time.Duration(windows-i) * time.Millisecond)
		mu.Lock()
		finished = append(finished, i)
		mu.Unlock()
		return detect.Verdict{Label: detect.Real, Score: float64(i) / 100}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000,
		MinSpeech: -1, MaxInFlight: windows, MaxQueued: -1}))
	if err := s.Write(loud(windows * 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	outOfOrder := false
	for i := 1; i < len(finished); i++ {
		if finished[i] < finished[i-1] {
			outOfOrder = true
		}
	}
	if !outOfOrder {
		t.Log("answers happened to arrive in order; ordering still checked")
	}
	if len(rec.verdicts) != windows {
		t.Fatalf("%d verdicts, want %d", len(rec.verdicts), windows)
	}
	for i, v := range rec.verdicts {
		if v.Index != i || v.Score != float64(i)/100 {
			t.Fatalf("verdict %d = index %d score %v", i, v.Index, v.Score)
		}
	}
}

func TestBackPressureSkipsWithUnknown(t *testing.T) {
	rec := &recorder{t: t}
	release := make(chan struct{})
	var calls atomic.Int32
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		calls.Add(1)
		<-release
		return detect.Verdict{Label: detect.Real, Score: 0.1}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000,
		MinSpeech: -1, MaxInFlight: 1, MaxQueued: 2}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			if err := s.Write(loud(10)); err != nil {
				t.Error(err)
			}
		}
	}()
	<-done // Write returned although the detector is blocked: it never waits.
	close(release)
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("detector called %d times, want 3 (1 in flight + 2 queued)", got)
	}
	for i, v := range rec.verdicts {
		if i < 3 && v.Label != detect.Real {
			t.Errorf("window %d: %v, want real", i, v.Label)
		}
		if i >= 3 && (v.Label != detect.Unknown || !strings.Contains(v.Err, "skipped") || !strings.Contains(v.Err, "MaxQueued")) {
			t.Errorf("window %d: %v %q, want unknown skipped", i, v.Label, v.Err)
		}
	}
	if sum.Windows != 10 || sum.Skipped != 7 || sum.Errors != 7 || sum.Judged != 3 {
		t.Errorf("summary %+v", sum)
	}
}

func TestVendorErrorGivesUnknownAndSessionGoesOn(t *testing.T) {
	rec := &recorder{t: t}
	boom := errors.New("vendor exploded")
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		switch c.Start {
		case 10 * time.Millisecond:
			return detect.Verdict{}, boom
		case 20 * time.Millisecond:
			panic("detector bug")
		case 30 * time.Millisecond:
			return detect.Verdict{Label: "maybe"}, nil
		}
		return detect.Verdict{Label: detect.Fake, Score: 1.7}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000, MinSpeech: -1}))
	if err := s.Write(loud(50)); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []string{"", "vendor exploded", "panicked", `label "maybe"`, ""}
	for i, v := range rec.verdicts {
		if wantErr[i] == "" {
			if v.Label != detect.Fake || v.Score != 1 || v.Err != "" {
				t.Errorf("window %d = %+v, want fake with score clamped to 1", i, v)
			}
			continue
		}
		if v.Label != detect.Unknown || !strings.Contains(v.Err, wantErr[i]) {
			t.Errorf("window %d = %v %q, want unknown %q", i, v.Label, v.Err, wantErr[i])
		}
	}
	if sum.Errors != 3 || sum.Judged != 2 {
		t.Errorf("summary %+v", sum)
	}
}

func TestCloseContextCancelsOutstanding(t *testing.T) {
	base := runtime.NumGoroutine()
	rec := &recorder{t: t}
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		<-ctx.Done()
		return detect.Verdict{}, ctx.Err()
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000, MinSpeech: -1,
		MaxInFlight: 2, MaxQueued: 10}))
	if err := s.Write(loud(60)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	sum, err := s.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close error %v, want deadline exceeded", err)
	}
	if len(rec.verdicts) != 6 || sum.Errors != 6 {
		t.Fatalf("%d verdicts, summary %+v; want 6 unknown", len(rec.verdicts), sum)
	}
	for _, v := range rec.verdicts {
		if v.Label != detect.Unknown || v.Err == "" {
			t.Errorf("verdict %+v, want unknown with reason", v)
		}
	}
	if _, err := s.Close(context.Background()); !errors.Is(err, detect.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if err := s.Write(loud(1)); !errors.Is(err, detect.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	waitGoroutines(t, base)
}

func TestNoGoroutinesLeftAfterClose(t *testing.T) {
	base := runtime.NumGoroutine()
	var sessions []*detect.Session
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		time.Sleep(time.Millisecond)
		return detect.Verdict{Label: detect.Fake, Score: 0.95}, nil
	})
	for range 50 {
		s := detect.NewSession(d, detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000, MinSpeech: -1,
			OnAlert: func(detect.Alert) {}})
		if err := s.Write(loud(55)); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	if n := runtime.NumGoroutine(); n <= base {
		t.Fatalf("sessions started no goroutines (%d <= %d): check is vacuous", n, base)
	}
	for _, s := range sessions {
		if _, err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	waitGoroutines(t, base)
}

// waitGoroutines polls until the goroutine count is back to base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines after Close, want <= %d:\n%s", n, base, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSummarySnapshotAndDefaults(t *testing.T) {
	var log clipLog
	s := detect.NewSession(&log, detect.SessionOptions{})
	if err := s.Write(loud(16000 * 4)); err != nil { // one default 4 s window at 16 kHz
		t.Fatal(err)
	}
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Windows != 1 || len(log.clips) != 1 || len(log.clips[0].Samples) != 64000 || log.clips[0].SampleRate != 16000 {
		t.Fatalf("summary %+v, clips %d", sum, len(log.clips))
	}
	if got := s.Summary(); got != sum {
		t.Errorf("Summary() = %+v, want %+v", got, sum)
	}
}

func FuzzSessionWindowing(f *testing.F) {
	f.Add([]byte{1, 2, 3, 200, 7}, uint8(10), uint8(10), uint16(500))
	f.Add([]byte{0, 0, 255}, uint8(10), uint8(3), uint16(333))
	f.Add([]byte{9}, uint8(4), uint8(9), uint16(77))
	f.Fuzz(func(t *testing.T, chunks []byte, win, hop uint8, total uint16) {
		if win == 0 || hop == 0 || len(chunks) == 0 || total > 3000 {
			t.Skip()
		}
		sizes := make([]int, len(chunks))
		progress := false
		for i, c := range chunks {
			sizes[i] = int(c)
			progress = progress || c > 0
		}
		if !progress {
			t.Skip() // all-zero chunk sizes never finish writing
		}
		var log clipLog
		s := detect.NewSession(&log, detect.SessionOptions{Window: time.Duration(win) * time.Millisecond,
			Hop: time.Duration(hop) * time.Millisecond, SampleRate: 1000, MinSpeech: -1, MaxInFlight: 4, MaxQueued: 4000})
		writeChunks(t, s, ramp(int(total)), sizes)
		sum, err := s.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]int, total)
		for _, c := range log.clips {
			first := int(c.Samples[0]) - 1
			if first%int(hop) != 0 || len(c.Samples) > int(win) {
				t.Fatalf("window at %d len %d (win %d hop %d)", first, len(c.Samples), win, hop)
			}
			for i, v := range c.Samples {
				if int(v)-1 != first+i {
					t.Fatal("window not contiguous")
				}
				seen[first+i]++
			}
		}
		// Model: full windows at every hop while they fit, then one partial
		// window from the next start if samples remain beyond the last window.
		type span struct{ start, end int }
		var spans []span
		st, lastEnd := 0, 0
		for ; st+int(win) <= int(total); st += int(hop) {
			spans = append(spans, span{st, st + int(win)})
			lastEnd = st + int(win)
		}
		if int(total) > lastEnd && int(total) > st {
			spans = append(spans, span{st, int(total)})
		}
		for i, n := range seen {
			inWindows := 0
			for _, sp := range spans {
				if i >= sp.start && i < sp.end {
					inWindows++
				}
			}
			if n != inWindows {
				t.Fatalf("sample %d in %d windows, want %d (win %d hop %d total %d)", i, n, inWindows, win, hop, total)
			}
		}
		if len(spans) != len(log.clips) {
			t.Fatalf("%d windows, want %d", len(log.clips), len(spans))
		}
		if sum.Windows != len(log.clips) {
			t.Fatalf("summary windows %d, clips %d", sum.Windows, len(log.clips))
		}
	})
}

func ExampleNewSession() {
	// A detector that calls everything louder than a whisper fake.
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		return detect.Verdict{Label: detect.Fake, Score: 0.93, Vendor: "example"}, nil
	})
	s := detect.NewSession(d, detect.SessionOptions{
		CallSid: "CA123", Track: "inbound",
		Window: time.Second, SampleRate: 8000,
		OnVerdict: func(v detect.Verdict) {
			fmt.Printf("window %d %v-%v: %s %.2f\n", v.Index, v.Start, v.End, v.Label, v.Score)
		},
		OnAlert: func(a detect.Alert) { fmt.Println("ALERT:", a.Reason) },
	})
	speech := make([]int16, 8000*3)
	for i := range speech {
		speech[i] = int16(4000 * ((i/20)%2*2 - 1))
	}
	_ = s.Write(make([]int16, 8000))        // one second of silence: no vendor call
	for i := 0; i < len(speech); i += 160 { // 20 ms chunks, as from a phone call
		_ = s.Write(speech[i : i+160])
	}
	sum, _ := s.Close(context.Background())
	fmt.Println(sum.Decision, sum.Windows, sum.Speech)
	// Output:
	// window 0 0s-1s: no_speech 0.00
	// window 1 1s-2s: fake 0.93
	// window 2 2s-3s: fake 0.93
	// ALERT: 2 of the last 2 speech windows fake (score ≥ 0.80)
	// window 3 3s-4s: fake 0.93
	// likely_fake 4 3
}

func ExampleDetectorFunc() {
	// Any function can be a Detector: here, a rule on loudness.
	var d detect.Detector = detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		if err := c.Validate(); err != nil {
			return detect.Verdict{}, err
		}
		if detect.VoicedSamples(c.Samples, c.SampleRate, -20) == len(c.Samples) {
			return detect.Verdict{Label: detect.Fake, Score: 0.9, Vendor: "loudness"}, nil
		}
		return detect.Verdict{Label: detect.Real, Score: 0.1, Vendor: "loudness"}, nil
	})
	v, err := d.Detect(context.Background(), detect.Clip{SampleRate: 8000, Samples: make([]int16, 160)})
	fmt.Println(v.Label, err)
	_, err = d.Detect(context.Background(), detect.Clip{SampleRate: 8000})
	fmt.Println(errors.Is(err, detect.ErrInvalidClip))
	// Output:
	// real <nil>
	// true
}

func TestVerdictDecidedIsWhenTheDetectorAnswered(t *testing.T) {
	rec := &recorder{t: t}
	var mu sync.Mutex
	answered := map[time.Duration]time.Time{} // by window start
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		answered[c.Start] = time.Now()
		mu.Unlock()
		if c.Start > 0 {
			return detect.Verdict{}, errors.New("vendor down")
		}
		return detect.Verdict{Label: detect.Real, Score: 0.1}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000, MinSpeech: -1}))
	before := time.Now()
	if err := s.Write(loud(20)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.verdicts) != 2 {
		t.Fatalf("%d verdicts, want 2", len(rec.verdicts))
	}
	mu.Lock()
	defer mu.Unlock()
	for i, v := range rec.verdicts {
		at, ok := answered[v.Start]
		// Decided falls between the detector's answer and its delivery,
		// for answers and for failures alike.
		if !ok || v.Decided.Before(at) || v.Decided.Sub(at) > time.Second || !v.Decided.After(before) {
			t.Errorf("window %d (%s): Decided %v, detector answered at %v", i, v.Label, v.Decided, at)
		}
	}
}
