package resembletest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect/resemble"
)

// SimulatedVendor is the Verdict.Vendor of clients made by NewDetector, so
// verdicts from the in-process fake are visibly simulated.
const SimulatedVendor = "resemble-simulated"

// DefaultAPIKey is the key Server.Client and NewDetector use when
// Options.APIKey is empty.
const DefaultAPIKey = "resembletest-key"

// Server is the fake served over loopback HTTP by an httptest.Server. Its
// embedded Handler gives the request log and fault injection.
type Server struct {
	*Handler
	srv *httptest.Server
}

// NewServer starts the fake on a loopback port. Close it when done.
func NewServer(opts Options) *Server {
	h := NewHandler(opts)
	return &Server{Handler: h, srv: httptest.NewServer(h)}
}

// URL returns the base URL to use as resemble.Client.BaseURL.
func (s *Server) URL() string { return s.srv.URL }

// Close releases hanging requests and shuts the server down.
func (s *Server) Close() {
	s.Handler.Close()
	s.srv.Close()
}

// Client returns a resemble.Client for this server: its key, no rate limit,
// polls every 10–50 ms and retries after 5–50 ms, so tests run fast.
func (s *Server) Client() *resemble.Client {
	tr := s.srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return testClient(s.Handler, s.srv.URL, &http.Client{Transport: tr}, "")
}

func testClient(h *Handler, base string, hc *http.Client, vendor string) *resemble.Client {
	key := h.opts.APIKey
	if key == "" {
		key = DefaultAPIKey
	}
	return &resemble.Client{
		APIKey: key, BaseURL: base, HTTPClient: hc,
		Limiter:      rate.NewLimiter(rate.Inf, 0),
		PollInterval: 10 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond,
		RetryBackoff: 5 * time.Millisecond, MaxRetryBackoff: 50 * time.Millisecond,
		Vendor: vendor,
	}
}

// NewDetector returns a resemble.Client wired to a fake running in-process
// (no socket, nothing to close) and the fake's Handler for its request log
// and faults. Its verdicts carry Vendor SimulatedVendor. This is the local
// "simulated" mode of the example server.
func NewDetector(opts Options) (*resemble.Client, *Handler) {
	h := NewHandler(opts)
	hc := &http.Client{Transport: inProcess{h}}
	return testClient(h, "http://resembletest.invalid/api/v2", hc, SimulatedVendor), h
}

// inProcess is an http.RoundTripper that serves requests with a handler
// in the calling goroutine.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	sreq := req.Clone(req.Context())
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, sreq)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	if rec.Body.Len() == 0 && len(rec.Header()) == 0 {
		// The handler answered nothing (a hang released by Close): like a
		// dropped connection.
		return nil, io.ErrUnexpectedEOF
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

var _ http.RoundTripper = inProcess{}
