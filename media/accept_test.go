package media_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/callguard/callguard/internal/testlog"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
)

// OnReject answers refused upgrades in place of the plain-text default and
// sees the error Accept returns.
func TestAcceptOnReject(t *testing.T) {
	const public = "wss://callguard.example.com/stream"
	var mu sync.Mutex
	var hooked []error
	onReject := func(w http.ResponseWriter, r *http.Request, err error) {
		mu.Lock()
		hooked = append(hooked, err)
		mu.Unlock()
		status := http.StatusForbidden
		if errors.Is(err, media.ErrAcceptConfig) {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"code":"invalid_signature"}`)
	}
	for _, tc := range []struct {
		name   string
		opts   media.AcceptOptions
		sign   func(*http.Request)
		status int
		want   error
	}{
		{"forged", media.AcceptOptions{AuthToken: testToken, PublicURL: public, OnReject: onReject},
			func(r *http.Request) { r.Header.Set("X-Twilio-Signature", mediatest.Signature("other", public)) }, 403, media.ErrSignature},
		{"unsigned", media.AcceptOptions{AuthToken: testToken, PublicURL: public, OnReject: onReject},
			func(*http.Request) {}, 403, media.ErrSignature},
		{"no public URL", media.AcceptOptions{AuthToken: testToken, OnReject: onReject},
			func(r *http.Request) { r.Header.Set("X-Twilio-Signature", mediatest.Signature(testToken, public)) }, 500, media.ErrAcceptConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			hooked = nil
			mu.Unlock()
			r := httptest.NewRequest(http.MethodGet, "/stream", nil)
			tc.sign(r)
			rec := httptest.NewRecorder()
			s, err := media.Accept(rec, r, &tc.opts)
			if s != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Accept = %v, %v; want %v", s, err, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(hooked) != 1 || !errors.Is(hooked[0], tc.want) {
				t.Fatalf("OnReject got %v, want one %v", hooked, tc.want)
			}
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Body.String() != `{"code":"invalid_signature"}` {
				t.Fatalf("answer %d %q %q, want the hook's", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	// Without the hook the answers stay plain text.
	r := httptest.NewRequest(http.MethodGet, "/stream", nil)
	rec := httptest.NewRecorder()
	if _, err := media.Accept(rec, r, &media.AcceptOptions{AuthToken: testToken, PublicURL: public}); !errors.Is(err, media.ErrSignature) {
		t.Fatal(err)
	}
	if rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("default answer %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// Log lines use the project's snake_case keys call_sid and stream_sid.
func TestLogKeys(t *testing.T) {
	ctx := ctxT(t)
	var buf testlog.SyncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	call, results := record(t, media.AcceptOptions{Logger: logger}, mediatest.DialOptions{CallSid: "CA0042", StreamSid: "MZ0042"})
	if err := call.SendPCM(ctx, media.TrackInbound, sine(800, 3000)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if res := <-results; res.err != nil {
		t.Fatal(res.err)
	}
	msgs := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		for _, bad := range []string{"callSid", "streamSid"} {
			if _, ok := line[bad]; ok {
				t.Errorf("log line uses key %s: %s", bad, sc.Text())
			}
		}
		msgs[line["msg"].(string)] = line
	}
	started, stopped := msgs["media stream started"], msgs["media stream stopped"]
	if started == nil || started["call_sid"] != "CA0042" || started["stream_sid"] != "MZ0042" {
		t.Fatalf("start log %v; all logs:\n%s", started, buf.String())
	}
	if stopped == nil || stopped["stream_sid"] != "MZ0042" {
		t.Fatalf("stop log %v; all logs:\n%s", stopped, buf.String())
	}
}
