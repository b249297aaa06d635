package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/httpx"
)

type body struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func decode(ct, in string, limit int64) (*httpx.Problem, body) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(in))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	var b body
	return httpx.DecodeJSON(httptest.NewRecorder(), r, limit, &b), b
}

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		ct, in string
		status int
		code   string
	}{
		{"application/json", `{"name":"a","count":2}`, 0, ""},
		{"application/json; charset=utf-8", `{"name":"a"}`, 0, ""},
		{"", `{}`, 415, httpx.CodeUnsupportedMedia},
		{"text/json", `{}`, 415, httpx.CodeUnsupportedMedia},
		{"application/json", ``, 400, httpx.CodeInvalidJSON},
		{"application/json", `{"name":`, 400, httpx.CodeInvalidJSON},
		{"application/json", `{"name" 1}`, 400, httpx.CodeInvalidJSON},
		{"application/json", `{} {}`, 400, httpx.CodeInvalidJSON},
		{"application/json", `{"count":"x"}`, 400, httpx.CodeInvalidField},
		{"application/json", `{"other":1}`, 400, httpx.CodeInvalidField},
		{"application/json", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413, httpx.CodeBodyTooLarge},
	}
	for _, tc := range cases {
		p, _ := decode(tc.ct, tc.in, 1024)
		if tc.status == 0 {
			if p != nil {
				t.Errorf("%q: %v", tc.in, p)
			}
			continue
		}
		if p == nil || p.Status != tc.status || p.Code != tc.code || p.Detail == "" {
			t.Errorf("%s %.40q: got %+v, want %d %s", tc.ct, tc.in, p, tc.status, tc.code)
		}
	}
	if p, _ := decode("application/json", `{"other":1}`, 1024); p == nil || p.Field != "other" {
		t.Errorf("unknown field not named: %+v", p)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"name":"a","count":1}`)
	f.Add(`{"count":"1"}`)
	f.Add(`[1,2]`)
	f.Add(`{"name":"\u0000"} x`)
	f.Fuzz(func(t *testing.T, in string) {
		p, b := decode("application/json", in, 256)
		if p == nil {
			// Accepted input must round-trip to the same value.
			var again body
			if err := json.Unmarshal([]byte(in), &again); err != nil || again != b {
				t.Fatalf("accepted %q but json says %v (%+v vs %+v)", in, err, again, b)
			}
			return
		}
		if p.Status < 400 || p.Status > 499 || p.Code == "" || p.Type != httpx.ProblemType+p.Code {
			t.Fatalf("bad problem %+v", p)
		}
	})
}

func TestWriteProblem(t *testing.T) {
	h := httpx.WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, http.StatusConflict, httpx.CodeDetectionActive, "busy")
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/x?q=1", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	h.ServeHTTP(rec, req)
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 409 || rec.Header().Get("Content-Type") != "application/problem+json" || p.RequestID != "abc-123" ||
		p.Instance != "/v1/x" || p.Title != "Detection already running" || p.Type != "urn:callguard:problem:detection_active" ||
		rec.Header().Get("X-Request-Id") != "abc-123" {
		t.Fatalf("%d %v %+v", rec.Code, rec.Header(), p)
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-Id", "bad id\nwith newline")
	h.ServeHTTP(rec, req)
	if id := rec.Header().Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("unsafe request id kept: %q", id)
	}
}

func TestAccessLogAndRecover(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var observed int
	h := httpx.WithRequestID(httpx.AccessLog(log, func(r *http.Request, status int) { observed = status },
		httpx.Recover(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/events?access_token=SECRET", nil))
	if rec.Code != 500 || observed != 500 {
		t.Fatalf("status %d observed %d", rec.Code, observed)
	}
	out := b.String()
	if strings.Contains(out, "SECRET") || !strings.Contains(out, `"request_id"`) || !strings.Contains(out, `"panic in handler"`) {
		t.Fatalf("log:\n%s", out)
	}
}
