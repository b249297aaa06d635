package resembletest_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/detect/resembletest"
)

// BenchmarkDetect measures the fake's cost per POST /detect of a 4 s,
// 16 kHz WAV (what callguard's session sends by default): multipart
// parsing, WAV decoding, the verdict and the JSON answer.
func BenchmarkDetect(b *testing.B) {
	wav, err := resemble.AppendWAV(nil, resembletest.Voice(4*16000, 16000, 1), 16000)
	if err != nil {
		b.Fatal(err)
	}
	body, ctype := multipartNamed("file", "window.wav", "audio/wav", wav, map[string]string{"frame_length": "2"})
	h := resembletest.NewHandler(resembletest.Options{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/detect", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Prefer", "wait")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
