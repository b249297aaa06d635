package mediatest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/coder/websocket"
	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go/client"
)

func TestSignatureMatchesTwilioValidator(t *testing.T) {
	for _, url := range []string{
		"wss://callguard.example.com/stream",
		"wss://callguard.example.com:443/stream",
		"ws://127.0.0.1:8080/twilio/stream",
	} {
		sig := mediatest.Signature("token123", url)
		v := client.NewRequestValidator("token123")
		if !v.Validate(url, map[string]string{}, sig) {
			t.Errorf("twilio-go rejects the signature of %s", url)
		}
		other := client.NewRequestValidator("other")
		if other.Validate(url, map[string]string{}, sig) {
			t.Errorf("signature of %s validates with the wrong token", url)
		}
	}
}

// rawServer records every text frame the client sends, as generic JSON, and
// the upgrade request's headers.
func rawServer(t *testing.T) (url string, frames <-chan []map[string]any, header <-chan http.Header) {
	t.Helper()
	out := make(chan []map[string]any, 1)
	hdr := make(chan http.Header, 1)
	url = serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		hdr <- r.Header.Clone()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		var got []map[string]any
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				break
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("client sent invalid JSON %q", b)
			}
			got = append(got, m)
			if m["event"] == "stop" {
				c.Close(websocket.StatusNormalClosure, "")
				break
			}
		}
		out <- got
	})
	return url, out, hdr
}

func TestWireFormat(t *testing.T) {
	ctx := testCtx(t)
	url, frames, header := rawServer(t)
	call, err := mediatest.Dial(ctx, url+"/stream", mediatest.DialOptions{
		AuthToken:        "tok",
		SignURL:          "wss://public.example.com/stream",
		AccountSid:       "AC1",
		CallSid:          "CA1",
		StreamSid:        "MZ1",
		Tracks:           []string{"inbound", "outbound"},
		CustomParameters: map[string]string{"k": "v"},
		Header:           http.Header{"X-Extra": {"1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.SendBoth(ctx, make([]int16, 320), make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	if err := call.SendDTMF(ctx, "#"); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	h := <-header
	if got, want := h.Get("X-Twilio-Signature"), mediatest.Signature("tok", "wss://public.example.com/stream"); got != want {
		t.Errorf("X-Twilio-Signature = %q, want %q", got, want)
	}
	if h.Get("X-Extra") != "1" {
		t.Error("extra header not sent")
	}
	silence := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xFF}, 160)) // μ-law zero
	want := []map[string]any{
		{"event": "connected", "protocol": "Call", "version": "1.0.0"},
		{"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": map[string]any{
			"accountSid": "AC1", "callSid": "CA1", "streamSid": "MZ1", "tracks": []any{"inbound", "outbound"},
			"mediaFormat":      map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000.0, "channels": 1.0},
			"customParameters": map[string]any{"k": "v"},
		}},
		{"event": "media", "sequenceNumber": "2", "streamSid": "MZ1", "media": map[string]any{"track": "inbound", "chunk": "1", "timestamp": "0", "payload": silence}},
		{"event": "media", "sequenceNumber": "3", "streamSid": "MZ1", "media": map[string]any{"track": "outbound", "chunk": "1", "timestamp": "0", "payload": silence}},
		{"event": "media", "sequenceNumber": "4", "streamSid": "MZ1", "media": map[string]any{"track": "inbound", "chunk": "2", "timestamp": "20", "payload": silence}},
		{"event": "dtmf", "sequenceNumber": "5", "streamSid": "MZ1", "dtmf": map[string]any{"track": "inbound_track", "digit": "#"}},
		{"event": "stop", "sequenceNumber": "6", "streamSid": "MZ1", "stop": map[string]any{"accountSid": "AC1", "callSid": "CA1"}},
	}
	if diff := cmp.Diff(want, <-frames); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestDefaultSids(t *testing.T) {
	ctx := testCtx(t)
	url, frames, _ := rawServer(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	call.Stop(ctx)
	got := <-frames
	st := got[1]["start"].(map[string]any)
	for key, prefix := range map[string]string{"accountSid": "AC", "callSid": "CA", "streamSid": "MZ"} {
		if s, _ := st[key].(string); !strings.HasPrefix(s, prefix) || len(s) != 34 {
			t.Errorf("%s = %q, want %s + 32 hex digits", key, s, prefix)
		}
	}
	if diff := cmp.Diff([]any{"inbound"}, st["tracks"]); diff != "" {
		t.Errorf("tracks: %s", diff)
	}
	if st["callSid"] != call.CallSid() || st["streamSid"] != call.StreamSid() {
		t.Error("CallSid/StreamSid accessors disagree with start")
	}
}

// writeWAV writes a 16-bit PCM WAV file and returns its path.
func writeWAV(t *testing.T, rate, channels int, data []int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := wav.NewEncoder(f, rate, 16, channels, 1)
	if err := enc.Write(&audio.IntBuffer{Data: data, Format: &audio.Format{SampleRate: rate, NumChannels: channels}, SourceBitDepth: 16}); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// acceptAll runs a media.Accept server collecting inbound PCM.
func acceptAll(t *testing.T) (string, <-chan []int16) {
	t.Helper()
	out := make(chan []int16, 1)
	url := serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		var pcm []int16
		for {
			f, err := s.ReadFrame(r.Context())
			if err != nil {
				break
			}
			pcm = append(pcm, f.Samples...)
		}
		out <- pcm
	})
	return url, out
}

func TestStreamWAV(t *testing.T) {
	ctx := testCtx(t)
	// Stereo 8 kHz: channels are averaged.
	var data []int
	var want []int16
	for i := range 800 {
		l, r := int(3000*math.Sin(float64(i)/7)), int(1000*math.Cos(float64(i)/3))
		data = append(data, l, r)
		want = append(want, int16((l+r)/2))
	}
	path := writeWAV(t, 8000, 2, data)

	url, got := acceptAll(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := call.StreamWAV(ctx, "inbound", f); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(media.DecodeUlaw(nil, media.EncodeUlaw(nil, want)), <-got); diff != "" {
		t.Errorf("PCM (-want +got):\n%s", diff)
	}
}

func TestStreamWAVSampleRate(t *testing.T) {
	ctx := testCtx(t)
	data := make([]int, 1600)
	for i := range data {
		data[i] = i
	}
	path := writeWAV(t, 16000, 1, data)

	url, got := acceptAll(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	if err := call.StreamWAV(ctx, "inbound", f); err != nil {
		t.Fatalf("StreamWAV of 16 kHz: %v", err)
	}
	call.Stop(ctx)
	if n := len(<-got); n != 800 {
		t.Errorf("received %d samples via package resample, want 800", n)
	}

	// With a conversion hook it goes through.
	url, got = acceptAll(t)
	call, err = mediatest.Dial(ctx, url, mediatest.DialOptions{Resample: func(pcm []int16, rate int) ([]int16, error) {
		if rate != 16000 {
			return nil, errors.New("unexpected rate")
		}
		out := make([]int16, 0, len(pcm)/2)
		for i := 0; i < len(pcm); i += 2 {
			out = append(out, pcm[i])
		}
		return out, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.Seek(0, 0)
	if err := call.StreamWAV(ctx, "inbound", f); err != nil {
		t.Fatal(err)
	}
	call.Stop(ctx)
	if n := len(<-got); n != 800 {
		t.Errorf("received %d samples, want 800", n)
	}
}

func TestStreamWAVUnconvertibleRate(t *testing.T) {
	ctx := testCtx(t)
	path := writeWAV(t, 7919, 1, make([]int, 100)) // a prime rate: no usable ratio
	url, got := acceptAll(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	err = call.StreamWAV(ctx, "inbound", f)
	call.Stop(ctx)
	<-got
	if err == nil {
		t.Skip("package resample converts 7919 Hz; nothing to refuse")
	}
	if !errors.Is(err, mediatest.ErrSampleRate) {
		t.Fatalf("StreamWAV of 7919 Hz = %v, want ErrSampleRate", err)
	}
}

func TestDecodeWAVRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	os.WriteFile(path, []byte("RIFF not really a wave file"), 0o600)
	f, _ := os.Open(path)
	defer f.Close()
	if _, _, err := mediatest.DecodeWAV(f); !errors.Is(err, mediatest.ErrInvalidWAV) {
		t.Fatalf("DecodeWAV of garbage = %v, want ErrInvalidWAV", err)
	}
	// A fmt chunk claiming 1 GB, which go-audio/wav would allocate.
	huge := []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x40\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00")
	if _, _, err := mediatest.DecodeWAV(bytes.NewReader(huge)); !errors.Is(err, mediatest.ErrInvalidWAV) {
		t.Fatalf("DecodeWAV of a 1 GB fmt chunk = %v, want ErrInvalidWAV", err)
	}
}

func TestRealtimeHonoursContext(t *testing.T) {
	ctx := testCtx(t)
	url, got := acceptAll(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	err = call.SendPCM(short, "inbound", make([]int16, 8000*60)) // a minute of audio
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendPCM = %v, want DeadlineExceeded", err)
	}
	call.Stop(ctx)
	if n := len(<-got); n == 0 || n >= 8000*60 {
		t.Errorf("received %d samples, want some but not all", n)
	}
}

func TestCloseWithoutStop(t *testing.T) {
	ctx := testCtx(t)
	errs := make(chan error, 1)
	url := serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		for {
			if _, err := s.ReadFrame(r.Context()); err != nil {
				errs <- err
				return
			}
		}
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	call.SendPCM(ctx, "inbound", make([]int16, 320))
	call.Close()
	if err := <-errs; err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("server error after hang-up = %v", err)
	}
}

func TestSkipSilenceWire(t *testing.T) {
	ctx := testCtx(t)
	url, frames, _ := rawServer(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{SkipSilence: true, SilenceThreshold: 10})
	if err != nil {
		t.Fatal(err)
	}
	loud := make([]int16, 160)
	for i := range loud {
		loud[i] = 5000
	}
	quiet := make([]int16, 160)
	quiet[3] = 9 // within the threshold
	pcm := append(append(append([]int16{}, loud...), quiet...), loud...)
	if err := call.SendPCM(ctx, "inbound", pcm); err != nil { // skips the quiet frame
		t.Fatal(err)
	}
	if err := call.SendPCM(ctx, "inbound", quiet, mediatest.SkipSilence(false), mediatest.Realtime(false)); err != nil {
		t.Fatal(err)
	}
	call.Skip("inbound", 100*time.Millisecond)
	if err := call.SendPCM(ctx, "inbound", loud[:80]); err != nil { // a partial frame, sent by Stop
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	type point struct{ Chunk, Timestamp string }
	var got []point
	for _, m := range <-frames {
		if m["event"] == "media" {
			md := m["media"].(map[string]any)
			got = append(got, point{md["chunk"].(string), md["timestamp"].(string)})
		}
	}
	want := []point{{"1", "0"}, {"2", "40"}, {"3", "60"}, {"4", "180"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunk/timestamp (-want +got):\n%s", diff)
	}
}

func TestServerMessages(t *testing.T) {
	ctx := testCtx(t)
	echo := make(chan string, 1)
	url := serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for _, m := range []string{
			`{"event":"media","streamSid":"MZ1","media":{"payload":"AAEC"}}`,
			`{"event":"mark","streamSid":"MZ1","mark":{"name":"m1"}}`,
			`{"event":"clear","streamSid":"MZ1"}`,
		} {
			c.Write(ctx, websocket.MessageText, []byte(m))
		}
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			var m media.Message
			if json.Unmarshal(b, &m) == nil && m.Event == "mark" {
				echo <- m.Mark.Name
				c.Close(websocket.StatusNormalClosure, "")
				return
			}
		}
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{StreamSid: "MZ1"})
	if err != nil {
		t.Fatal(err)
	}
	if name := <-echo; name != "m1" {
		t.Errorf("echoed mark %q", name)
	}
	var events []string
	for {
		m, err := call.ReadMessage(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, m.Event)
	}
	if diff := cmp.Diff([]string{"media", "mark", "clear"}, events); diff != "" {
		t.Errorf("ReadMessage events (-want +got):\n%s", diff)
	}
	if n := len(call.Received()); n != 3 {
		t.Errorf("Received() has %d messages", n)
	}
	if diff := cmp.Diff(media.DecodeUlaw(nil, []byte{0, 1, 2}), call.Played()); diff != "" {
		t.Errorf("Played (-want +got):\n%s", diff)
	}
	if err := call.Err(); err != nil {
		t.Errorf("Err after normal closure = %v", err)
	}
}

func TestServerGarbageEndsCall(t *testing.T) {
	ctx := testCtx(t)
	url := serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Write(ctx, websocket.MessageText, []byte(`{"event":`))
		c.Read(ctx)
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{SkipStart: true})
	if err != nil {
		t.Fatal(err)
	}
	<-call.Done()
	if _, err := call.ReadMessage(ctx); !errors.Is(err, media.ErrMalformed) {
		t.Fatalf("ReadMessage = %v, want ErrMalformed", err)
	}
}

func TestHandshakeError(t *testing.T) {
	ctx := testCtx(t)
	url := serveWS(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	})
	_, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	var he *mediatest.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "403") || he.Unwrap() == nil {
		t.Fatalf("Dial = %v, want a HandshakeError with 403", err)
	}
}

func TestRealtimeDeliversEverything(t *testing.T) {
	ctx := testCtx(t)
	url, got := acceptAll(t)
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 480) // three frames, paced
	for i := range pcm {
		pcm[i] = int16(i * 50)
	}
	if err := call.SendPCM(ctx, "inbound", pcm[:240], mediatest.Realtime(true)); err != nil {
		t.Fatal(err)
	}
	call.Skip("inbound", 20*time.Millisecond)
	if err := call.SendPCM(ctx, "inbound", pcm[240:], mediatest.Realtime(true)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want := media.DecodeUlaw(nil, media.EncodeUlaw(nil, pcm[:160]))
	want = append(want, make([]int16, 160)...) // the skipped 20 ms
	want = append(want, media.DecodeUlaw(nil, media.EncodeUlaw(nil, pcm[160:]))...)
	if diff := cmp.Diff(want, <-got); diff != "" {
		t.Errorf("PCM (-want +got):\n%s", diff)
	}
}

// testCtx returns a context that bounds a test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serveWS serves h on a loopback test server and returns its ws:// URL.
func serveWS(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}
