package resembletest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/detect/resembletest"
)

func TestAnalyze(t *testing.T) {
	const rate = 16000
	mixed := append(resembletest.MarkerTone(2*rate, rate), resembletest.Voice(2*rate, rate, 9)...)
	for _, tc := range []struct {
		name   string
		pcm    []int16
		label  string
		scores int
	}{
		{"marker", resembletest.MarkerTone(4*rate, rate), "fake", 2},
		{"voice", resembletest.Voice(4*rate, rate, 1), "real", 2},
		{"silence", make([]int16, rate), "real", 1},
		{"short", resembletest.MarkerTone(100, rate), "fake", 1},
		{"mixed", mixed, "fake", 2}, // mean of ~0.99 and ~0.02 is just over 0.5
	} {
		r := resembletest.Analyze(tc.pcm, rate, 2)
		if r.Label != tc.label || len(r.Scores) != tc.scores {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
	r := resembletest.Analyze(mixed, rate, 2)
	if r.Scores[0] < 0.9 || r.Scores[1] > 0.2 {
		t.Errorf("mixed chunk scores %v", r.Scores)
	}
	// A marker tone drowned in voice is not enough.
	quiet := resembletest.Tone(2*rate, rate, resembletest.MarkerFrequency, 300)
	v := resembletest.Voice(2*rate, rate, 3)
	for i := range v {
		v[i] += quiet[i]
	}
	if r := resembletest.Analyze(v, rate, 2); r.Label != "real" {
		t.Errorf("voice with faint marker: %+v", r)
	}
	if detect.VoicedSamples(resembletest.Voice(rate, rate, 1), rate, detect.DefaultSpeechThreshold) < rate*3/4 {
		t.Error("Voice does not pass the energy VAD")
	}
	if detect.VoicedSamples(resembletest.MarkerTone(rate, rate), rate, detect.DefaultSpeechThreshold) != rate {
		t.Error("MarkerTone does not pass the energy VAD")
	}
}

func post(t *testing.T, url, auth, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %s", b)
	}
	return resp.StatusCode, m
}

func multipartFile(field string, data []byte, extra map[string]string) ([]byte, string) {
	return multipartNamed(field, "a.wav", "application/octet-stream", data, extra)
}

// multipartNamed builds a multipart body whose file part has the given file
// name and Content-Type.
func multipartNamed(field, filename, ctype string, data []byte, extra map[string]string) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range extra {
		_ = mw.WriteField(k, v)
	}
	if field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
		h.Set("Content-Type", ctype)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestErrorShapes(t *testing.T) {
	srv := resembletest.NewServer(resembletest.Options{APIKey: "k"})
	defer srv.Close()
	wavData, err := resemble.AppendWAV(nil, resembletest.MarkerTone(1600, 16000), 16000)
	if err != nil {
		t.Fatal(err)
	}
	good, goodType := multipartFile("file", wavData, nil)
	noFile, noFileType := multipartFile("", nil, map[string]string{"visualize": "true"})
	wrongField, wrongFieldType := multipartFile("audio", wavData, nil)
	notWAV, notWAVType := multipartFile("file", []byte("RIFF....WAVEjunk"), nil)
	badFrame, badFrameType := multipartFile("file", wavData, map[string]string{"frame_length": "9"})
	badExt, badExtType := multipartNamed("file", "a.txt", "audio/wav", wavData, nil)
	badCT, badCTType := multipartNamed("file", "a.wav", "text/plain", wavData, nil)
	audioCT, audioCTType := multipartNamed("file", "A.WAV", "audio/x-wav", wavData, nil)
	empty, emptyType := multipartFile("file", nil, nil)
	for _, tc := range []struct {
		name, path, auth, ctype string
		body                    []byte
		status                  int
		field                   string
	}{
		{"no auth", "/detect", "", goodType, good, 401, ""},
		{"wrong key", "/detect", "Bearer x", goodType, good, 401, ""},
		{"no file", "/detect", "Bearer k", noFileType, noFile, 400, "file"},
		{"wrong field", "/detect", "Bearer k", wrongFieldType, wrongField, 400, "file"},
		{"not wav", "/detect", "Bearer k", notWAVType, notWAV, 400, "file"},
		{"frame_length", "/detect", "Bearer k", badFrameType, badFrame, 400, "frame_length"},
		{"extension", "/detect", "Bearer k", badExtType, badExt, 400, "file"},
		{"content type", "/detect", "Bearer k", badCTType, badCT, 400, "file"},
		{"empty file", "/detect", "Bearer k", emptyType, empty, 400, "file"},
		{"empty upload", "/secure_uploads", "Bearer k", emptyType, empty, 400, "file"},
		{"audio content type", "/detect", "Bearer k", audioCTType, audioCT, 200, ""},
		{"json url", "/detect", "Bearer k", "application/json", []byte(`{"url":"https://example.com/a.wav"}`), 400, "url"},
		{"json bad token", "/detect", "Bearer k", "application/json", []byte(`{"media_token":"nope"}`), 400, "media_token"},
		{"text body", "/detect", "Bearer k", "text/plain", []byte("hi"), 400, ""},
		{"unknown path", "/voices", "Bearer k", goodType, good, 404, ""},
		{"ok", "/api/v2/detect", "Bearer k", goodType, good, 200, ""},
	} {
		status, m := post(t, srv.URL()+tc.path, tc.auth, tc.ctype, tc.body)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, status, tc.status, m)
			continue
		}
		if status == 200 {
			item, _ := m["item"].(map[string]any)
			metrics, _ := item["metrics"].(map[string]any)
			if m["success"] != true || item["status"] != "processing" || len(metrics) != 0 {
				t.Errorf("%s: %v", tc.name, m)
			}
			continue
		}
		if m["success"] != false || m["message"] == "" {
			t.Errorf("%s: error shape %v", tc.name, m)
		}
		if tc.field != "" {
			errs, _ := m["errors"].(map[string]any)
			if list, _ := errs[tc.field].([]any); len(list) == 0 {
				t.Errorf("%s: no errors.%s in %v", tc.name, tc.field, m)
			}
		}
	}
	req, _ := http.NewRequest("GET", srv.URL()+"/detect/unknown", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET unknown uuid: %d", resp.StatusCode)
	}
	if n := len(srv.Requests()); n != 17 {
		t.Errorf("request log has %d entries, want 17", n)
	}
}

func TestStringScoresOnTheWire(t *testing.T) {
	srv := resembletest.NewServer(resembletest.Options{})
	defer srv.Close()
	c := srv.Client()
	v, err := c.Detect(context.Background(), detect.Clip{SampleRate: 16000, Samples: resembletest.MarkerTone(16000, 16000)})
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Item struct {
			Status  string
			Metrics map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(v.Raw, &env); err != nil {
		t.Fatal(err)
	}
	if env.Item.Status != "completed" || !bytes.HasPrefix(env.Item.Metrics["aggregated_score"], []byte(`"`)) ||
		!bytes.HasPrefix(env.Item.Metrics["score"], []byte(`["`)) || string(env.Item.Metrics["label"]) != `"fake"` {
		t.Errorf("raw = %s", v.Raw)
	}
}

func TestNewDetectorInProcess(t *testing.T) {
	d, h := resembletest.NewDetector(resembletest.Options{Latency: 10 * time.Millisecond})
	v, err := d.Detect(context.Background(), detect.Clip{SampleRate: 8000, Samples: resembletest.MarkerTone(8000, 8000)})
	if err != nil {
		t.Fatal(err)
	}
	if v.Vendor != resembletest.SimulatedVendor || v.Label != detect.Fake {
		t.Errorf("verdict %+v", v)
	}
	if v.Latency < 10*time.Millisecond {
		t.Errorf("answered in %v, before the configured 10 ms latency", v.Latency)
	}
	if n := h.Count("POST", "/detect"); n != 1 {
		t.Errorf("%d posts logged", n)
	}
	// Hangs end with the caller's context, in-process too.
	h.InjectFaults(resembletest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := d.Detect(ctx, detect.Clip{SampleRate: 8000, Samples: resembletest.MarkerTone(800, 8000)}); err == nil {
		t.Error("hang did not fail")
	}
}

// TestThousandSessions runs 1,000 concurrent sessions against the fake with
// 200 ms latency: every session gets every verdict, in order, and no
// goroutine is left behind.
func TestThousandSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("many sessions")
	}
	base := runtime.NumGoroutine()
	srv := resembletest.NewServer(resembletest.Options{Latency: 200 * time.Millisecond})
	c := srv.Client()
	const sessions, windows, rate = 1000, 3, 8000
	win := rate / 4 // 250 ms windows
	fake := resembletest.MarkerTone(win, rate)
	real := resembletest.Voice(win, rate, 7)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []detect.Verdict
			alerts := 0
			s := detect.NewSession(c, detect.SessionOptions{
				CallSid: fmt.Sprintf("CA%04d", i), Window: 250 * time.Millisecond, SampleRate: rate,
				MaxInFlight: 2, MaxQueued: windows,
				OnVerdict: func(v detect.Verdict) { got = append(got, v) },
				OnAlert:   func(detect.Alert) { alerts++ },
			})
			for w := range windows {
				pcm := real
				if i%2 == 0 && w > 0 {
					pcm = fake
				}
				for off := 0; off < len(pcm); off += 160 {
					if err := s.Write(pcm[off:min(off+160, len(pcm))]); err != nil {
						t.Error(err)
					}
				}
			}
			sum, err := s.Close(context.Background())
			if err != nil {
				t.Error(err)
			}
			ok := len(got) == windows && sum.Judged == windows && sum.Errors == 0
			for w, v := range got {
				wantLabel := detect.Real
				if i%2 == 0 && w > 0 {
					wantLabel = detect.Fake
				}
				ok = ok && v.Index == w && v.Label == wantLabel && v.Vendor == "resemble"
			}
			wantAlerts := 0
			if i%2 == 0 {
				wantAlerts = 1
			}
			if !ok || alerts != wantAlerts {
				if failed.Add(1) <= 3 {
					t.Errorf("session %d: %d verdicts %+v, summary %+v, alerts %d", i, len(got), got, sum, alerts)
				}
			}
		}()
	}
	wg.Wait()
	if n := srv.Count("POST", "/detect"); n != sessions*windows {
		t.Errorf("%d detections, want %d", n, sessions*windows)
	}
	srv.Close()
	c.HTTPClient.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, had %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ExampleNewServer() {
	srv := resembletest.NewServer(resembletest.Options{})
	defer srv.Close()
	// Script: the next request fails with 503; the client retries.
	srv.InjectFaults(resembletest.Fault{Status: http.StatusServiceUnavailable})

	c := srv.Client() // a resemble.Client with fast polling and retries
	v, err := c.Detect(context.Background(), detect.Clip{SampleRate: 16000, Samples: resembletest.MarkerTone(16000, 16000)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Label, v.Score > 0.8)
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status, strings.HasSuffix(r.FileName, ".wav"))
	}
	// Output:
	// fake true
	// POST /detect 503 true
	// POST /detect 200 true
}

// TestRetentionAndLogBound: detections and upload tokens are forgotten
// after Options.Retention (answering as unknown ones do), and the request
// log keeps only the most recent Options.MaxLog requests, so a fake serving
// a long run does not grow without bound.
func TestRetentionAndLogBound(t *testing.T) {
	h := resembletest.NewHandler(resembletest.Options{Retention: 200 * time.Millisecond, MaxLog: 3})
	srv := httptest.NewServer(h)
	defer srv.Close()
	wavData, err := resemble.AppendWAV(nil, resembletest.MarkerTone(1600, 16000), 16000)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartFile("file", wavData, nil)
	status, m := post(t, srv.URL+"/detect", "Bearer k", ctype, body)
	if status != 200 {
		t.Fatalf("POST /detect: %d %v", status, m)
	}
	uuid, _ := m["item"].(map[string]any)["uuid"].(string)
	status, m = post(t, srv.URL+"/secure_uploads", "Bearer k", ctype, body)
	if status != 200 {
		t.Fatalf("POST /secure_uploads: %d %v", status, m)
	}
	token, _ := m["token"].(string)
	getStatus := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/detect/"+uuid, nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := getStatus(); s != 200 {
		t.Fatalf("GET within retention: %d", s)
	}
	tokenBody := []byte(fmt.Sprintf(`{"media_token":%q}`, token))
	if status, m := post(t, srv.URL+"/detect", "Bearer k", "application/json", tokenBody); status != 200 {
		t.Fatalf("token within retention: %d %v", status, m)
	}
	time.Sleep(250 * time.Millisecond)
	if s := getStatus(); s != 404 {
		t.Errorf("GET after retention: %d, want 404", s)
	}
	if status, m := post(t, srv.URL+"/detect", "Bearer k", "application/json", tokenBody); status != 400 || !strings.Contains(fmt.Sprint(m), "media_token") {
		t.Errorf("token after retention: %d %v, want 400 on media_token", status, m)
	}
	log := h.Requests()
	if len(log) != 3 {
		t.Fatalf("log holds %d requests, want the last 3", len(log))
	}
	// The last three: the token POST (200), GET (404), token POST (400).
	got := []string{}
	for _, r := range log {
		got = append(got, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	want := []string{"POST /detect 200", "GET /detect/" + uuid + " 404", "POST /detect 400"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("log %v, want %v", got, want)
	}
}
