package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/metrics"
	"github.com/callguard/callguard/examples/server/internal/pipeline"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/notify"
)

// serveMedia serves Twilio media streams to mgr, as the server's media
// endpoint does.
func serveMedia(mgr *pipeline.Manager) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = mgr.Serve(r.Context(), s, nil)
	}))
}

// wsURL is the WebSocket URL of srv.
func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// A failing vendor gives Unknown verdicts that are stored with their
// reason and counted, the session still ends with a summary, and every
// event is published.
func TestVendorErrorsAreStored(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, t.TempDir()+"/p.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var calls atomic.Int32
	det := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		calls.Add(1)
		return detect.Verdict{}, errors.New("vendor unavailable")
	})
	m := metrics.New()
	var published atomic.Int32
	mgr := pipeline.New(pipeline.Options{Store: st, Detector: det, Window: 500 * time.Millisecond, MinSpeech: 100 * time.Millisecond,
		Metrics: m, Publish: func(context.Context, string, string, any) { published.Add(1) }})
	srv := serveMedia(mgr)
	defer srv.Close()

	call, err := mediatest.Dial(ctx, wsURL(srv), mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.SendPCM(ctx, "inbound", resembletest.Voice(8000, 8000, 3)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	vs, err := st.ListVerdicts(ctx, store.VerdictFilter{CallSid: call.CallSid()}, store.PageRequest{})
	if err != nil || len(vs.Items) != 2 {
		t.Fatalf("verdicts %v %+v", err, vs.Items)
	}
	for _, v := range vs.Items {
		if v.Label != string(detect.Unknown) || !strings.Contains(v.Err, "vendor unavailable") {
			t.Fatalf("verdict %+v", v)
		}
	}
	if calls.Load() < 2 {
		t.Fatalf("detector called %d times", calls.Load())
	}
	if got := testutil.ToFloat64(m.Errors.WithLabelValues("vendor")); got != 2 {
		t.Fatalf("vendor errors counted %v", got)
	}
	ds, _ := st.ListDetections(ctx, store.DetectionFilter{CallSid: call.CallSid()}, store.PageRequest{})
	if len(ds.Items) != 1 || ds.Items[0].Status != store.DetectionStopped || !strings.Contains(string(ds.Items[0].Summary), `"errors":2`) {
		t.Fatalf("detection %+v", ds.Items)
	}
	// stream.started, 2 verdicts, call.ended
	if published.Load() != 4 {
		t.Fatalf("%d events published", published.Load())
	}

	// After Shutdown no stream is served.
	if err := mgr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := mediatest.Dial(ctx, wsURL(srv), mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c2.Done():
	case <-ctx.Done():
		t.Fatal("stream accepted after shutdown")
	}
	if mgr.Active() != 0 {
		t.Fatal("active after shutdown")
	}
}

// A detection stopped elsewhere while this replica holds its stream (the
// API on another replica) still gets this replica's final summary; its
// status stays stopped and call.ended reports it.
func TestSummaryStoredWhenStoppedElsewhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, t.TempDir()+"/p.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	det := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		return detect.Verdict{Label: detect.Real, Score: 0.1, Vendor: "test"}, nil
	})
	type ended struct{ status, decision string }
	endedCh := make(chan ended, 4)
	m := metrics.New()
	mgr := pipeline.New(pipeline.Options{Store: st, Detector: det, Window: 500 * time.Millisecond,
		MinSpeech: 100 * time.Millisecond, Metrics: m,
		Publish: func(_ context.Context, typ, _ string, data any) {
			if e, ok := data.(view.CallEnded); ok && typ == notify.TypeCallEnded {
				endedCh <- ended{e.Status, e.Decision}
			}
		}})
	srv := serveMedia(mgr)
	defer srv.Close()

	call, err := mediatest.Dial(ctx, wsURL(srv), mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var d store.Detection
	for {
		d, err = st.ActiveDetection(ctx, call.CallSid(), "inbound")
		if err == nil && d.Status == store.DetectionActive && mgr.Live(d.ID) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("detection never went live: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Another replica stops it: no summary, the stream stays here.
	if _, err := st.UpdateDetection(ctx, d.ID, store.DetectionUpdate{Status: store.DetectionStopped}); err != nil {
		t.Fatal(err)
	}
	if err := call.SendPCM(ctx, "inbound", resembletest.Voice(8000, 8000, 3)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var e ended
	select {
	case e = <-endedCh:
	case <-ctx.Done():
		t.Fatal("no call.ended")
	}
	got, err := st.GetDetection(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Windows int `json:"windows"`
	}
	if err := json.Unmarshal(got.Summary, &sum); err != nil || sum.Windows != 2 {
		t.Fatalf("summary %s (%v), want 2 windows", got.Summary, err)
	}
	if got.Status != store.DetectionStopped || e.status != string(store.DetectionStopped) || e.decision == "" {
		t.Fatalf("detection %+v, call.ended %+v", got, e)
	}
	if n := testutil.ToFloat64(m.Errors.WithLabelValues("store")); n != 0 {
		t.Fatalf("%v store errors counted", n)
	}
}

// The stored summary is detect.Summary's snake_case JSON plus simulated.
func TestSummaryJSON(t *testing.T) {
	b, err := json.Marshal(pipeline.Summary{Summary: detect.Summary{Windows: 3, Speech: 2, Judged: 2, Fake: 1,
		MaxScore: 0.9, MeanScore: 0.5, Decision: detect.LikelyFake, Alerted: true, Errors: 1, Skipped: 1}, Simulated: true})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"windows":3,"speech":2,"judged":2,"fake":1,"max_score":0.9,"mean_score":0.5,"decision":"likely_fake",` +
		`"alerted":true,"errors":1,"skipped":1,"simulated":true}`
	if string(b) != want {
		t.Fatalf("summary JSON\n got %s\nwant %s", b, want)
	}
}

// A vendor request that never returns holds the session's Close until the
// finish deadline; the final writes (summary, detection status, call.ended)
// must still succeed on a fresh context instead of reusing the expired one.
func TestFinalWritesSurviveHungVendor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, t.TempDir()+"/p.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var started atomic.Int32
	det := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		started.Add(1)
		<-ctx.Done() // never answers
		return detect.Verdict{}, ctx.Err()
	})
	// Publish stores events as the server does, so an expired context makes
	// the call.ended write fail.
	publish := func(ctx context.Context, typ, callSid string, data any) {
		e, err := notify.NewEvent(typ, callSid, data)
		if err != nil {
			t.Error(err)
			return
		}
		if _, _, err := st.AppendEvent(ctx, store.Event{Type: e.Type, CallSid: e.CallSid, Time: e.Time, Data: e.Data}); err != nil {
			t.Errorf("storing %s event: %v", typ, err)
		}
	}
	m := metrics.New()
	mgr := pipeline.New(pipeline.Options{Store: st, Detector: det, Window: 500 * time.Millisecond,
		MinSpeech: 100 * time.Millisecond, Metrics: m, Publish: publish, FinishTimeout: 200 * time.Millisecond})
	srv := serveMedia(mgr)
	defer srv.Close()

	call, err := mediatest.Dial(ctx, wsURL(srv), mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.SendPCM(ctx, "inbound", resembletest.Voice(8000, 8000, 3)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The stream's end is recorded after the detection's final writes.
	for {
		s, err := st.GetStream(ctx, call.StreamSid())
		if err == nil && s.Status != store.StreamStarted {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("stream never ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if started.Load() == 0 {
		t.Fatal("detector never called")
	}
	ds, err := st.ListDetections(ctx, store.DetectionFilter{CallSid: call.CallSid()}, store.PageRequest{})
	if err != nil || len(ds.Items) != 1 {
		t.Fatalf("detections %v %+v", err, ds.Items)
	}
	d := ds.Items[0]
	if d.Status != store.DetectionStopped && d.Status != store.DetectionFailed {
		t.Fatalf("detection status %q, want stopped or failed", d.Status)
	}
	var sum struct {
		Windows int `json:"windows"`
	}
	if err := json.Unmarshal(d.Summary, &sum); err != nil || sum.Windows == 0 {
		t.Fatalf("summary %q (%v), want the windows counted", d.Summary, err)
	}
	evs, err := st.ListEvents(ctx, store.EventFilter{CallSid: call.CallSid(), Types: []string{notify.TypeCallEnded}}, store.PageRequest{})
	if err != nil || len(evs.Items) != 1 {
		t.Fatalf("call.ended events %v %+v", err, evs.Items)
	}
	if n := testutil.ToFloat64(m.Errors.WithLabelValues("store")); n != 0 {
		t.Fatalf("%v store errors counted", n)
	}
}

// Every frame handed to a session is observed by both frame histograms:
// processing time and lag behind real time.
func TestFrameHistogramsCountFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, t.TempDir()+"/p.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	det := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		return detect.Verdict{Label: detect.Real, Score: 0.1, Vendor: "test"}, nil
	})
	m := metrics.New()
	mgr := pipeline.New(pipeline.Options{Store: st, Detector: det, Window: 500 * time.Millisecond,
		MinSpeech: 100 * time.Millisecond, Metrics: m})
	srv := serveMedia(mgr)
	defer srv.Close()
	call, err := mediatest.Dial(ctx, wsURL(srv), mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.SendPCM(ctx, "inbound", resembletest.Voice(8000, 8000, 3)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for mgr.Active() != 0 {
		if ctx.Err() != nil {
			t.Fatal("stream never ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	frames := testutil.ToFloat64(m.Frames.WithLabelValues("inbound"))
	if frames < 50 { // 1 s of audio in 20 ms chunks
		t.Fatalf("%v frames counted, want 50", frames)
	}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			if h := mt.GetHistogram(); h != nil {
				counts[mf.GetName()] += h.GetSampleCount()
			}
		}
	}
	for _, name := range []string{"callguard_frame_processing_seconds", "callguard_frame_lag_seconds"} {
		if got := counts[name]; float64(got) != frames {
			t.Errorf("%s counted %d observations, want one per frame (%v)", name, got, frames)
		}
	}
}
