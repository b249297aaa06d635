package resemble_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/detect/resembletest"
)

const rate16k = 16000

func clip(pcm []int16) detect.Clip {
	return detect.Clip{CallSid: "CA42", Track: "inbound", Start: 8 * time.Second, SampleRate: rate16k, Samples: pcm}
}

func newServer(t *testing.T, opts resembletest.Options) (*resembletest.Server, *resemble.Client) {
	t.Helper()
	srv := resembletest.NewServer(opts)
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func TestDetectFakeAndReal(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{APIKey: "k1", KeepAudio: true})
	fake := resembletest.MarkerTone(rate16k, rate16k)
	v, err := c.Detect(context.Background(), clip(fake))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Fake || v.Score < 0.8 || v.Vendor != "resemble" || v.ID == "" || len(v.Raw) == 0 {
		t.Errorf("fake verdict = %+v", v)
	}
	if v.CallSid != "CA42" || v.Start != 8*time.Second || v.End != 9*time.Second {
		t.Errorf("verdict placement = %s %v..%v", v.CallSid, v.Start, v.End)
	}
	if !bytes.Contains(v.Raw, []byte(`"aggregated_score":"`)) {
		t.Errorf("Raw should be the vendor JSON with string scores: %s", v.Raw)
	}
	real := resembletest.Voice(rate16k, rate16k, 1)
	v, err = c.Detect(context.Background(), clip(real))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Real || v.Score > 0.5 {
		t.Errorf("real verdict = %+v", v)
	}

	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/detect" || r.Status != 200 {
		t.Errorf("request %s %s -> %d", r.Method, r.Path, r.Status)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer k1" {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Prefer"); got != "wait" {
		t.Errorf("Prefer = %q", got)
	}
	if r.FileName != "CA42-inbound-8000.wav" || r.SampleRate != rate16k {
		t.Errorf("file %q rate %d", r.FileName, r.SampleRate)
	}
	if !slices.Equal(r.Samples, fake) {
		t.Error("uploaded WAV does not decode to the clip's samples")
	}
}

func TestOptionsAreSent(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.Options = resemble.Options{FrameLength: 1, StartRegion: 0.5, EndRegion: 1.25, Visualize: true, Intelligence: true,
		AudioSourceTracing: true, UseOODDetector: true, ZeroRetentionMode: true, CallbackURL: "https://example.com/cb"}
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(2*rate16k, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(v.Raw, []byte(`"audio_source_tracing"`)) {
		t.Errorf("audio_source_tracing not answered: %s", v.Raw)
	}
	if !bytes.Contains(v.Raw, []byte(`"score":["`)) || bytes.Count(v.Raw, []byte(`","`)) < 1 {
		t.Errorf("frame_length 1 on 2 s should give two chunk scores: %s", v.Raw)
	}
	form := srv.Requests()[0].Form
	want := map[string]string{"frame_length": "1", "start_region": "0.5", "end_region": "1.25", "visualize": "true",
		"intelligence": "true", "audio_source_tracing": "true", "use_ood_detector": "true", "zero_retention_mode": "true",
		"callback_url": "https://example.com/cb"}
	for k, w := range want {
		if got := form.Get(k); got != w {
			t.Errorf("field %s = %q, want %q", k, got, w)
		}
	}
}

func TestAsyncPolls(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{Latency: 60 * time.Millisecond})
	c.Async = true
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Fake {
		t.Errorf("verdict %+v", v)
	}
	if srv.Requests()[0].Header.Get("Prefer") != "" {
		t.Error("async submit sent Prefer")
	}
	if n := srv.Count("GET", "/detect/"); n < 1 {
		t.Errorf("%d polls, want at least 1", n)
	}
}

func TestProcessingThenCompletedOnPoll(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	srv.InjectFaults(resembletest.Fault{Processing: 3})
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Fake {
		t.Errorf("verdict %+v", v)
	}
	if n := srv.Count("GET", "/detect/"+v.ID); n != 4 {
		t.Errorf("%d polls, want 4 (3 processing + completed)", n)
	}
}

func TestRetryAfter429(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.RetryBackoff = 10 * time.Second // must not be used: Retry-After wins
	srv.InjectFaults(resembletest.Fault{Status: 429, RetryAfter: time.Second})
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 || v.Label != detect.Fake {
		t.Fatalf("requests %d, verdict %+v", len(reqs), v)
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 900*time.Millisecond || gap > 5*time.Second {
		t.Errorf("retried after %v, want about the 1 s Retry-After", gap)
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	srv.InjectFaults(resembletest.Fault{Status: 500}, resembletest.Fault{Status: 503})
	v, err := c.Detect(context.Background(), clip(resembletest.Voice(4000, rate16k, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Real || srv.Count("POST", "/detect") != 3 {
		t.Errorf("verdict %+v after %d posts", v, srv.Count("POST", "/detect"))
	}
}

func TestRetriesExhausted(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.MaxRetries = 2
	srv.InjectFaults(resembletest.Fault{Status: 500, Message: "model offline"}, resembletest.Fault{Status: 500},
		resembletest.Fault{Status: 502}, resembletest.Fault{Status: 500})
	_, err := c.Detect(context.Background(), clip(resembletest.Voice(4000, rate16k, 2)))
	var apiErr *resemble.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Attempts != 3 || !errors.Is(err, resemble.ErrServer) {
		t.Fatalf("err = %v (%#v)", err, apiErr)
	}
	if n := srv.Count("POST", "/detect"); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
}

func TestNoRetryForClientErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		is     error
	}{{401, resemble.ErrUnauthorized}, {403, resemble.ErrForbidden}, {404, resemble.ErrNotFound}, {422, nil}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv, c := newServer(t, resembletest.Options{})
			srv.InjectFaults(resembletest.Fault{Status: tc.status, Message: "nope"})
			_, err := c.Detect(context.Background(), clip(resembletest.Voice(4000, rate16k, 2)))
			var apiErr *resemble.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Message != "nope" {
				t.Fatalf("err = %v", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			if n := srv.Count("POST", "/detect"); n != 1 {
				t.Errorf("%d posts, want 1 (no retry)", n)
			}
		})
	}
}

func TestWrongKeyIs401(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{APIKey: "right"})
	c.APIKey = "wrong"
	_, err := c.Detect(context.Background(), clip(resembletest.Voice(4000, rate16k, 2)))
	if !errors.Is(err, resemble.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestHangIsRetriedAfterAttemptTimeout(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.AttemptTimeout = 100 * time.Millisecond
	srv.InjectFaults(resembletest.Fault{Hang: true})
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Fake || srv.Count("POST", "/detect") != 2 {
		t.Errorf("verdict %+v after %d posts", v, srv.Count("POST", "/detect"))
	}
}

func TestContextBoundsEverything(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	srv.InjectFaults(resembletest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Detect(ctx, clip(resembletest.MarkerTone(4000, rate16k)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// A Retry-After beyond the deadline is not waited for.
	srv.InjectFaults(resembletest.Fault{Status: 429, RetryAfter: time.Hour})
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	_, err = c.Detect(ctx2, clip(resembletest.MarkerTone(4000, rate16k)))
	var apiErr *resemble.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour || !errors.Is(err, resemble.ErrRateLimited) {
		t.Fatalf("err = %v, want the 429 with its Retry-After", err)
	}
}

func TestLimiterPacesEveryRequest(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.Limiter = rate.NewLimiter(0, 0) // allows nothing
	_, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err == nil || !strings.Contains(err.Error(), "rate limiter") {
		t.Fatalf("err = %v, want a limiter error", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests got past the limiter", n)
	}
}

func TestDetectionFailed(t *testing.T) {
	_, c := newServer(t, resembletest.Options{Verdict: func(resembletest.Request) resembletest.Result {
		return resembletest.Result{Fail: "audio too short"}
	}})
	_, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if !errors.Is(err, resemble.ErrDetectionFailed) || !strings.Contains(err.Error(), "audio too short") {
		t.Fatalf("err = %v", err)
	}
}

func TestScriptedVerdictNumericAndMissingAggregate(t *testing.T) {
	_, c := newServer(t, resembletest.Options{NumericScores: true, Verdict: func(r resembletest.Request) resembletest.Result {
		if strings.Contains(r.FileName, "-inbound-") {
			return resembletest.Result{Label: "fake", Scores: []float64{0.9, 0.7}, OmitAggregated: true}
		}
		return resembletest.Result{}
	}})
	v, err := c.Detect(context.Background(), clip(resembletest.Voice(4000, rate16k, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != detect.Fake || v.Score != 0.8 {
		t.Errorf("verdict %v %v, want fake with the mean 0.8", v.Label, v.Score)
	}
}

func TestSecureUploadForLargeClips(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	c.UploadThreshold = 1000
	c.Options.FrameLength = 4
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/secure_uploads" || reqs[1].Path != "/detect" {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[1].MediaToken == "" || reqs[1].Form.Get("frame_length") != "4" || !strings.HasPrefix(reqs[1].Header.Get("Content-Type"), "application/json") {
		t.Errorf("detect request = %+v", reqs[1])
	}
	if v.Label != detect.Fake {
		t.Errorf("verdict %+v", v)
	}
}

func TestGet(t *testing.T) {
	_, c := newServer(t, resembletest.Options{})
	v, err := c.Detect(context.Background(), clip(resembletest.MarkerTone(4000, rate16k)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Get(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.UUID != v.ID || d.Status != "completed" || d.Metrics.Label != "fake" || !d.Metrics.AggregatedScore.Valid {
		t.Errorf("Get = %+v", d)
	}
	if _, err := c.Get(context.Background(), "no-such-uuid"); !errors.Is(err, resemble.ErrNotFound) {
		t.Errorf("Get unknown: %v, want ErrNotFound", err)
	}
	if _, err := c.Get(context.Background(), ""); !errors.Is(err, resemble.ErrNotFound) {
		t.Errorf("Get empty uuid: %v, want ErrNotFound", err)
	}
}

func TestInvalidClip(t *testing.T) {
	srv, c := newServer(t, resembletest.Options{})
	_, err := c.Detect(context.Background(), detect.Clip{SampleRate: rate16k})
	if !errors.Is(err, detect.ErrInvalidClip) {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("invalid clip was sent")
	}
}

func TestServerRejectsNonWAVWithResembleErrorShape(t *testing.T) {
	srv, _ := newServer(t, resembletest.Options{})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "x.wav")
	_, _ = fw.Write([]byte("this is not audio"))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v2/detect", &body)
	req.Header.Set("Authorization", "Bearer any")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !bytes.Contains(b, []byte(`"success":false`)) || !bytes.Contains(b, []byte(`"errors":{"file":[`)) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

func ExampleClient() {
	// resembletest is a faithful fake of the Resemble Detect API: a 1 kHz
	// marker tone is judged fake, voice-like audio real.
	srv := resembletest.NewServer(resembletest.Options{APIKey: "secret"})
	defer srv.Close()

	c := &resemble.Client{APIKey: "secret", BaseURL: srv.URL()} // in production: BaseURL empty
	ctx := context.Background()
	for _, pcm := range [][]int16{resembletest.MarkerTone(16000, 16000), resembletest.Voice(16000, 16000, 1)} {
		v, err := c.Detect(ctx, detect.Clip{CallSid: "CA1", SampleRate: 16000, Samples: pcm})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s %s score>=0.8:%v\n", v.Vendor, v.Label, v.Score >= 0.8)
	}
	// Output:
	// resemble fake score>=0.8:true
	// resemble real score>=0.8:false
}
