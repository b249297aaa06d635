package resemble

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/callguard/callguard/detect"
)

func testPCM(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(12000 * math.Sin(float64(i)/7))
	}
	pcm[0], pcm[n-1] = math.MinInt16, math.MaxInt16
	return pcm
}

// TestWAVMatchesGoAudio checks the fast encoder byte for byte against a
// full go-audio/wav encode of the same samples, and that it decodes back.
func TestWAVMatchesGoAudio(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100} {
		pcm := testPCM(1234)
		var ws memWriteSeeker
		enc := wav.NewEncoder(&ws, rate, 16, 1, 1)
		data := make([]int, len(pcm))
		for i, s := range pcm {
			data[i] = int(s)
		}
		if err := enc.Write(&audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: rate}, Data: data, SourceBitDepth: 16}); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := AppendWAV(nil, pcm, rate)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, ws.buf) {
			t.Fatalf("rate %d: AppendWAV differs from go-audio/wav", rate)
		}
		dec := wav.NewDecoder(bytes.NewReader(got))
		buf, err := dec.FullPCMBuffer()
		if err != nil || int(dec.SampleRate) != rate || dec.BitDepth != 16 || dec.NumChans != 1 {
			t.Fatalf("decode: %v rate %d depth %d chans %d", err, dec.SampleRate, dec.BitDepth, dec.NumChans)
		}
		for i, v := range buf.Data {
			if int16(v) != pcm[i] {
				t.Fatalf("sample %d = %d, want %d", i, v, pcm[i])
			}
		}
	}
	if _, err := AppendWAV(nil, nil, 0); !errors.Is(err, detect.ErrInvalidClip) {
		t.Errorf("rate 0: %v, want ErrInvalidClip", err)
	}
}

func TestAppendPCMPortable(t *testing.T) {
	pcm := testPCM(999)
	if !bytes.Equal(appendPCM([]byte{7}, pcm), appendPCMPortable([]byte{7}, pcm)) {
		t.Fatal("fast and portable PCM encodings differ")
	}
	if got := appendPCMPortable(nil, []int16{0x0102, -2}); !bytes.Equal(got, []byte{2, 1, 0xfe, 0xff}) {
		t.Fatalf("portable = %v", got)
	}
}

func TestMultipartBody(t *testing.T) {
	c := &Client{}
	pcm := testPCM(4000)
	b, err := c.multipartBody(detect.Clip{CallSid: "CA1", SampleRate: 16000, Samples: pcm, Start: 1500 * time.Millisecond},
		Options{FrameLength: 2, Visualize: true})
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(b.contentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q", b.contentType)
	}
	mr := multipart.NewReader(bytes.NewReader(b.data), params["boundary"])
	fields := map[string]string{}
	var file []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			file = data
			if p.FileName() != "CA1-1500.wav" || p.Header.Get("Content-Type") != "audio/wav" {
				t.Errorf("file part %q %q", p.FileName(), p.Header.Get("Content-Type"))
			}
			continue
		}
		fields[p.FormName()] = string(data)
	}
	want, _ := AppendWAV(nil, pcm, 16000)
	if !bytes.Equal(file, want) {
		t.Error("file part is not the clip's WAV")
	}
	if fields["frame_length"] != "2" || fields["visualize"] != "true" || len(fields) != 2 {
		t.Errorf("fields %v", fields)
	}
}

func TestParseDetectionTolerance(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		label      detect.Label
		score      float64
		err        error
	}{
		{"strings", `{"success":true,"item":{"uuid":"u","status":"completed","metrics":{"label":"fake","score":["0.9","0.8"],"consistency":"0.9","aggregated_score":"0.91"}}}`, detect.Fake, 0.91, nil},
		{"numbers", `{"success":true,"item":{"uuid":"u","status":"completed","metrics":{"label":"real","score":[0.1,0.3],"aggregated_score":0.2}}}`, detect.Real, 0.2, nil},
		{"mean", `{"success":true,"item":{"uuid":"u","status":"completed","metrics":{"label":"Fake","score":["0.9",0.7,null,""]}}}`, detect.Fake, 0.8, nil},
		{"single score", `{"item":{"uuid":"u","status":"completed","metrics":{"score":"0.75"}}}`, detect.Fake, 0.75, nil},
		{"no status", `{"item":{"uuid":"u","metrics":{"label":"real","aggregated_score":"0.1"},"duration":"4.0"}}`, detect.Real, 0.1, nil},
		{"failed", `{"item":{"uuid":"u","status":"failed","error_message":"bad audio"}}`, "", 0, ErrDetectionFailed},
		{"empty metrics", `{"item":{"uuid":"u","status":"completed","metrics":{}}}`, "", 0, ErrMalformed},
		{"odd label", `{"item":{"uuid":"u","status":"completed","metrics":{"label":"maybe","aggregated_score":"0.5"}}}`, "", 0, ErrMalformed},
		{"no item", `{"success":true}`, "", 0, ErrMalformed},
		{"bad number", `{"item":{"metrics":{"aggregated_score":"abc"}}}`, "", 0, ErrMalformed},
		{"not json", `<html>`, "", 0, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDetection([]byte(tc.body))
			var v detect.Verdict
			if err == nil {
				v, err = d.Verdict("")
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !d.Done() {
				t.Error("answer with metrics not Done")
			}
			if v.Label != tc.label || math.Abs(v.Score-tc.score) > 1e-9 || v.ID != "u" || v.Vendor != "resemble" || string(v.Raw) != tc.body {
				t.Errorf("verdict %+v", v)
			}
		})
	}
}

func TestAsyncAnswerNotDone(t *testing.T) {
	for _, body := range []string{
		`{"success":true,"item":{"uuid":"u","metrics":{},"media_type":"audio","intelligence":null}}`,
		`{"success":true,"item":{"uuid":"u","status":"processing","metrics":{}}}`,
	} {
		d, err := parseDetection([]byte(body))
		if err != nil || d.Done() || d.UUID != "u" {
			t.Errorf("%s: done=%v err=%v", body, d != nil && d.Done(), err)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	for _, tc := range []struct {
		body, msg string
		errs      map[string][]string
	}{
		{`{"success":false,"message":"Invalid parameters","errors":{"file":["is required"]}}`, "Invalid parameters", map[string][]string{"file": {"is required"}}},
		{`{"success":false,"error":"Unauthorized"}`, "Unauthorized", nil},
		{`{"success":false,"message":"x","errors":["a","b"]}`, "x", map[string][]string{"": {"a", "b"}}},
		{`{"success":false,"message":"x","errors":{"f":"bad"}}`, "x", map[string][]string{"f": {"bad"}}},
		{`Bad Gateway`, "Bad Gateway", nil},
	} {
		e := parseAPIError(422, []byte(tc.body))
		if e.Message != tc.msg || !equalErrs(e.Errors, tc.errs) {
			t.Errorf("%s: %+v", tc.body, e)
		}
		if !strings.Contains(e.Error(), tc.msg) {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func equalErrs(a, b map[string][]string) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return len(a) == len(b) && string(x) == string(y)
}

func TestBackoffAndRetryAfter(t *testing.T) {
	c := &Client{RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 50 {
			if d := c.backoff(attempt); d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"3": 3 * time.Second, "0.5": 500 * time.Millisecond, "": 0, "junk": 0, "-1": 0,
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestPollSchedule(t *testing.T) {
	// Defaults: 2 s growing to 10 s.
	var got []time.Duration
	d := durOr(0, DefaultPollInterval)
	for range 7 {
		got = append(got, d)
		d = nextPoll(d, DefaultMaxPollInterval)
	}
	want := []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond,
		10 * time.Second, 10 * time.Second, 10 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("schedule %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("poll delays %v, want %v", got, want)
		}
	}
}

func TestAttemptTimeoutDefault(t *testing.T) {
	for set, want := range map[time.Duration]time.Duration{0: DefaultAttemptTimeout, -1: 0, time.Second: time.Second} {
		if got := (&Client{AttemptTimeout: set}).attemptTimeout(); got != want {
			t.Errorf("AttemptTimeout %v: attempts bounded by %v, want %v", set, got, want)
		}
	}
}

func TestDefaultLimiter(t *testing.T) {
	c := &Client{}
	c.init()
	if c.limiter.Limit() != DefaultRate || c.limiter.Burst() != DefaultBurst {
		t.Errorf("limiter %v/%d", c.limiter.Limit(), c.limiter.Burst())
	}
}

func FuzzParseDetection(f *testing.F) {
	f.Add([]byte(`{"success":true,"item":{"uuid":"u","status":"completed","metrics":{"label":"fake","score":["0.9","0.8"],"aggregated_score":"0.9"}}}`))
	f.Add([]byte(`{"item":{"metrics":{"score":0.3}}}`))
	f.Add([]byte(`{"success":false,"message":"m","errors":{"a":["b"]}}`))
	f.Add([]byte(`{"item":{"status":"failed","duration":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseDetection(b); err == nil {
			v, err := d.Verdict("")
			if err == nil && (v.Score < 0 || v.Score > 1 || (v.Label != detect.Real && v.Label != detect.Fake)) {
				t.Fatalf("bad verdict %+v", v)
			}
		}
		e := parseAPIError(500, b)
		_ = e.Error()
	})
}

func TestPooledBodyReuse(t *testing.T) {
	c := &Client{}
	clip := detect.Clip{SampleRate: 16000, Samples: testPCM(1600)}
	b1, err := c.multipartBody(clip, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rc := b1.open()
	b1.release()
	// The transport still holds a reader: the buffer must not be reused yet.
	b2, _ := c.multipartBody(clip, Options{})
	if &b2.data[0] == &b1.data[0] {
		t.Fatal("buffer reused while a reader was open")
	}
	rc.Close()
	b3, _ := c.multipartBody(clip, Options{})
	if &b3.data[0] != &b1.data[0] {
		t.Log("pool did not return the buffer (allowed by sync.Pool, e.g. under -race)")
	}
}

// BenchmarkWindowBody measures the per-window overhead: WAV encoding plus
// the multipart body for a 4 s, 16 kHz window. "pooled" is the steady state
// (the body buffer is released after each request, as Detect does);
// "unpooled" allocates a fresh buffer every time (the first window).
func BenchmarkWindowBody(b *testing.B) {
	clip := detect.Clip{CallSid: "CA0123456789abcdef0123456789abcdef", Track: "inbound", SampleRate: 16000, Samples: testPCM(4 * 16000)}
	opts := Options{FrameLength: 2}
	for _, pool := range []bool{true, false} {
		name := "unpooled"
		if pool {
			name = "pooled"
		}
		b.Run(name, func(b *testing.B) {
			c := &Client{}
			b.SetBytes(int64(2 * len(clip.Samples)))
			b.ReportAllocs()
			for b.Loop() {
				body, err := c.multipartBody(clip, opts)
				if err != nil {
					b.Fatal(err)
				}
				if pool {
					// As after a request: the transport closes its reader, Detect releases.
					rc := body.open()
					_, _ = io.Copy(io.Discard, rc)
					rc.Close()
					body.release()
				}
			}
		})
	}
}

// BenchmarkGoAudioEncode is the same 4 s window through go-audio/wav's
// Encoder alone, for comparison.
func BenchmarkGoAudioEncode(b *testing.B) {
	pcm := testPCM(4 * 16000)
	b.SetBytes(int64(2 * len(pcm)))
	b.ReportAllocs()
	for b.Loop() {
		data := make([]int, len(pcm))
		for i, s := range pcm {
			data[i] = int(s)
		}
		var ws memWriteSeeker
		enc := wav.NewEncoder(&ws, 16000, 16, 1, 1)
		if err := enc.Write(&audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: 16000}, Data: data, SourceBitDepth: 16}); err != nil {
			b.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
