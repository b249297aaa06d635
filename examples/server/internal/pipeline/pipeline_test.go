package pipeline_test

import (
	"context"
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
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
)

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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = mgr.Serve(r.Context(), s, nil)
	}))
	defer srv.Close()

	call, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{})
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
	c2, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{})
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
