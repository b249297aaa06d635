package twiliotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default credentials of a Server. Both are alphanumeric, as twilio-go's
// client requires.
const (
	DefaultAccountSid = "AC00000000000000000000000000000001"
	DefaultAuthToken  = "0123456789abcdef0123456789abcdef"
)

// Operation names, as recorded in Request.Op and accepted by FailNext.
const (
	OpCreateStream = "CreateStream" // POST …/Calls/{CallSid}/Streams.json
	OpUpdateStream = "UpdateStream" // POST …/Calls/{CallSid}/Streams/{Sid}.json
	OpUpdateCall   = "UpdateCall"   // POST …/Calls/{Sid}.json
	OpFetchCall    = "FetchCall"    // GET  …/Calls/{Sid}.json
)

// Twilio error codes the Server answers with. CodeNotFound, CodeAuthenticate,
// CodeInvalidURL and CodeInvalidCallState are Twilio's documented codes for
// those cases. Twilio documents no specific code for a bad Track/Status
// value, a duplicate stream name or the per-call stream limit: the fake
// answers those with HTTP 400 and CodeBadRequest, so tests should match them
// on the HTTP status (or the message), not the code.
const (
	CodeAuthenticate     = 20003
	CodeNotFound         = 20404
	CodeInvalidURL       = 21205
	CodeInvalidCallState = 21220
	CodeBadRequest       = 20001
)

// ErrUnknownCall is returned by SetCallStatus for a call the Server does
// not know.
var ErrUnknownCall = errors.New("twiliotest: unknown call")

// Call statuses.
const (
	StatusQueued     = "queued"
	StatusRinging    = "ringing"
	StatusInProgress = "in-progress"
	StatusCompleted  = "completed"
	StatusCanceled   = "canceled"
	StatusBusy       = "busy"
	StatusFailed     = "failed"
	StatusNoAnswer   = "no-answer"
)

// Stream statuses.
const (
	StreamInProgress = "in-progress"
	StreamStopped    = "stopped"
)

// ServerOptions configure NewServer. The zero value is ready to use.
type ServerOptions struct {
	// AccountSid and AuthToken are the credentials the server accepts;
	// empty means DefaultAccountSid / DefaultAuthToken.
	AccountSid, AuthToken string
	// MaxStreams is the per-call limit of in-progress streams; 0 means 4.
	MaxStreams int
	// Now is the clock for date fields; nil means time.Now.
	Now func() time.Time
}

// Call is the fake's state of one call.
type Call struct {
	// Sid is the call's CA… SID; AccountSid the account it belongs to;
	// From and To the parties, as Twilio reports them.
	Sid, AccountSid, From, To string
	// Status is one of the Status* constants; AddCall defaults it to
	// in-progress.
	Status string
	// Direction defaults to "inbound".
	Direction string
	// URL and Method are the last redirect (UpdateCall Url/Method).
	URL, Method string
	// Twiml is the last TwiML set with UpdateCall Twiml.
	Twiml string
	// Updates counts accepted UpdateCall requests.
	Updates int
	// Streams lists every stream created on the call, in order.
	Streams []Stream
	// Created is when AddCall ran; Ended when the call completed.
	Created, Ended time.Time
}

// Stream is the fake's state of one Media Stream.
type Stream struct {
	// Sid is the stream's MZ… SID; Name, URL and Track are as created
	// (Track defaulted to inbound_track).
	Sid, Name, URL, Track string
	// StatusCallback and StatusCallbackMethod are as created.
	StatusCallback, StatusCallbackMethod string
	// Status is StreamInProgress or StreamStopped.
	Status string
	// Parameters are the custom parameters (ParameterN.Name/Value).
	Parameters map[string]string
	// Updated is when the stream was created or last changed status.
	Updated time.Time
}

// Request is one request the server received.
type Request struct {
	// Op is the matched operation (Op* constants), "" when none matched.
	Op string
	// Method and Path are the request's HTTP method and URL path.
	Method, Path string
	// Form holds the query and form body parameters.
	Form url.Values
	// Header holds the request headers (Authorization included).
	Header http.Header
}

// APIError is Twilio's JSON error payload.
type APIError struct {
	// Code is Twilio's error code (20404, 21220…).
	Code int `json:"code"`
	// Message is the human readable message.
	Message string `json:"message"`
	// MoreInfo is the documentation URL for Code.
	MoreInfo string `json:"more_info"`
	// Status is the HTTP status code, repeated in the payload.
	Status int `json:"status"`
	// Detail is the extra explanation Twilio adds to some errors (for
	// 20003: "Your AccountSid or AuthToken was incorrect.").
	Detail string `json:"detail,omitempty"`
}

// Error implements error.
func (e APIError) Error() string {
	return fmt.Sprintf("twilio error %d (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// Server is a fake of the Twilio REST API parts callguard uses — Calls
// (fetch, update) and their Streams (create, stop) — served by httptest. It
// checks Basic auth, keeps call and stream state (max streams per call,
// in-progress/completed), answers with Twilio's JSON shapes and error
// payloads, records every request and can inject failures. Safe for
// concurrent use.
type Server struct {
	opts ServerOptions
	ts   *httptest.Server
	mux  *http.ServeMux
	ops  map[string]string // mux pattern → Op*; read-only after NewServer

	mu       sync.Mutex
	calls    map[string]*Call
	requests []Request
	faults   map[string][]APIError
	seq      uint64
}

// NewServer starts a fake Twilio REST API on 127.0.0.1. Close it when done.
func NewServer(opts ServerOptions) *Server {
	if opts.AccountSid == "" {
		opts.AccountSid = DefaultAccountSid
	}
	if opts.AuthToken == "" {
		opts.AuthToken = DefaultAuthToken
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:   opts,
		mux:    http.NewServeMux(),
		ops:    make(map[string]string),
		calls:  make(map[string]*Call),
		faults: make(map[string][]APIError),
	}
	const call = "/2010-04-01/Accounts/{account}/Calls/{call}"
	for _, rt := range []struct {
		pattern, op string
		handle      http.HandlerFunc
	}{
		{"POST " + call + "/Streams.json", OpCreateStream, s.createStream},
		{"POST " + call + "/Streams/{stream}", OpUpdateStream, s.updateStream},
		{"POST " + call, OpUpdateCall, s.updateCall},
		{"GET " + call, OpFetchCall, s.fetchCall},
	} {
		s.mux.HandleFunc(rt.pattern, rt.handle)
		s.ops[rt.pattern] = rt.op
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// AccountSid returns the account SID the server accepts.
func (s *Server) AccountSid() string { return s.opts.AccountSid }

// AuthToken returns the auth token the server accepts.
func (s *Server) AuthToken() string { return s.opts.AuthToken }

// AddCall registers a live call and returns it with defaults filled in: a
// generated CA… Sid when empty, the server's account, status in-progress,
// direction inbound.
func (s *Server) AddCall(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Sid == "" {
		c.Sid = s.newSid("CA")
	}
	if c.AccountSid == "" {
		c.AccountSid = s.opts.AccountSid
	}
	if c.Status == "" {
		c.Status = StatusInProgress
	}
	if c.Direction == "" {
		c.Direction = "inbound"
	}
	if c.Created.IsZero() {
		c.Created = s.opts.Now()
	}
	stored := c
	stored.Streams = cloneStreams(c.Streams)
	s.calls[c.Sid] = &stored
	return cloneCall(&stored)
}

// Call returns a copy of the call's current state.
func (s *Server) Call(sid string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[sid]
	if !ok {
		return Call{}, false
	}
	return cloneCall(c), true
}

// SetCallStatus changes a call's status as if the network did (e.g. the
// caller hung up: StatusCompleted). Leaving in-progress stops its streams.
func (s *Server) SetCallStatus(sid, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[sid]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCall, sid)
	}
	s.setStatus(c, status)
	return nil
}

// Requests returns a copy of every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{Op: r.Op, Method: r.Method, Path: r.Path, Form: cloneValues(r.Form), Header: r.Header.Clone()}
	}
	return out
}

// FailNext makes the next request for op (an Op* constant) fail with e,
// after authentication. Calls queue up. Zero Status means 400 and empty
// MoreInfo is filled in.
func (s *Server) FailNext(op string, e APIError) {
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	if e.MoreInfo == "" && e.Code != 0 {
		e.MoreInfo = moreInfo(e.Code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], e)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	_, pattern := s.mux.Handler(r)
	op := s.ops[pattern]
	s.mu.Lock()
	s.requests = append(s.requests, Request{Op: op, Method: r.Method, Path: r.URL.Path, Form: cloneValues(r.Form), Header: r.Header.Clone()})
	s.mu.Unlock()

	user, pass, ok := r.BasicAuth()
	if !ok || user != s.opts.AccountSid || pass != s.opts.AuthToken {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, APIError{Code: CodeAuthenticate, Message: "Authenticate", MoreInfo: moreInfo(CodeAuthenticate),
			Status: http.StatusUnauthorized, Detail: "Your AccountSid or AuthToken was incorrect."})
		return
	}
	if op == "" {
		writeError(w, notFound(r.URL.Path))
		return
	}
	s.mu.Lock()
	if q := s.faults[op]; len(q) > 0 {
		e := q[0]
		s.faults[op] = q[1:]
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// lookupCall resolves the {account} and {call} path values, answering 404
// itself on failure. It must be called with s.mu held.
func (s *Server) lookupCall(w http.ResponseWriter, r *http.Request, wantJSONSuffix bool) *Call {
	if r.PathValue("account") != s.opts.AccountSid {
		writeError(w, notFound(r.URL.Path))
		return nil
	}
	sid := r.PathValue("call")
	if wantJSONSuffix {
		var ok bool
		if sid, ok = strings.CutSuffix(sid, ".json"); !ok {
			writeError(w, notFound(r.URL.Path))
			return nil
		}
	}
	c, ok := s.calls[sid]
	if !ok {
		writeError(w, notFound(r.URL.Path))
		return nil
	}
	return c
}

func (s *Server) createStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupCall(w, r, false)
	if c == nil {
		return
	}
	if c.Status != StatusInProgress {
		writeError(w, invalidCallState("Cannot create a Stream."))
		return
	}
	f := r.PostForm
	raw := f.Get("Url")
	if u, err := url.Parse(raw); raw == "" || err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
		writeError(w, APIError{Code: CodeInvalidURL, Message: fmt.Sprintf("Url is not a valid URL: %s", raw), MoreInfo: moreInfo(CodeInvalidURL), Status: http.StatusBadRequest})
		return
	}
	track := f.Get("Track")
	switch track {
	case "":
		track = "inbound_track"
	case "inbound_track", "outbound_track", "both_tracks":
	default:
		writeError(w, badRequest(fmt.Sprintf("Track must be one of inbound_track, outbound_track, both_tracks: %q", track)))
		return
	}
	switch m := f.Get("StatusCallbackMethod"); m {
	case "", "GET", "POST":
	default:
		writeError(w, badRequest(fmt.Sprintf("StatusCallbackMethod must be GET or POST: %q", m)))
		return
	}
	name := f.Get("Name")
	active := 0
	for _, st := range c.Streams {
		if st.Status != StreamInProgress {
			continue
		}
		active++
		if name != "" && st.Name == name {
			writeError(w, badRequest(fmt.Sprintf("A Stream named %q is already running on this call", name)))
			return
		}
	}
	if active >= s.opts.MaxStreams {
		writeError(w, badRequest(fmt.Sprintf("Maximum number of Streams (%d) per call reached", s.opts.MaxStreams)))
		return
	}
	params := map[string]string{}
	for i := 1; i <= 99; i++ {
		n := f.Get("Parameter" + strconv.Itoa(i) + ".Name")
		if n != "" {
			params[n] = f.Get("Parameter" + strconv.Itoa(i) + ".Value")
		}
	}
	st := Stream{
		Sid: s.newSid("MZ"), Name: name, URL: raw, Track: track,
		StatusCallback: f.Get("StatusCallback"), StatusCallbackMethod: f.Get("StatusCallbackMethod"),
		Status: StreamInProgress, Parameters: params, Updated: s.opts.Now(),
	}
	c.Streams = append(c.Streams, st)
	writeJSON(w, http.StatusCreated, s.streamJSON(c, st))
}

func (s *Server) updateStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupCall(w, r, false)
	if c == nil {
		return
	}
	id, ok := strings.CutSuffix(r.PathValue("stream"), ".json")
	if !ok {
		writeError(w, notFound(r.URL.Path))
		return
	}
	if st := r.PostForm.Get("Status"); st != StreamStopped {
		writeError(w, badRequest(fmt.Sprintf("Status must be %q: %q", StreamStopped, st)))
		return
	}
	idx := -1
	for i, st := range c.Streams {
		if st.Sid == id || (st.Name != "" && st.Name == id) {
			if idx == -1 || st.Status == StreamInProgress {
				idx = i
			}
		}
	}
	if idx == -1 {
		writeError(w, notFound(r.URL.Path))
		return
	}
	if c.Status != StatusInProgress && c.Streams[idx].Status == StreamInProgress {
		writeError(w, invalidCallState("Cannot stop the Stream."))
		return
	}
	st := &c.Streams[idx]
	if st.Status != StreamStopped {
		st.Status = StreamStopped
		st.Updated = s.opts.Now()
	}
	writeJSON(w, http.StatusOK, s.streamJSON(c, *st))
}

func (s *Server) updateCall(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupCall(w, r, true)
	if c == nil {
		return
	}
	f := r.PostForm
	status, u, tw := f.Get("Status"), f.Get("Url"), f.Get("Twiml")
	if u != "" && tw != "" {
		writeError(w, badRequest("Url and Twiml are mutually exclusive"))
		return
	}
	switch status {
	case "", StatusCompleted, StatusCanceled:
	default:
		writeError(w, badRequest(fmt.Sprintf("Status must be completed or canceled: %q", status)))
		return
	}
	live := c.Status == StatusInProgress || c.Status == StatusQueued || c.Status == StatusRinging
	if !live || ((u != "" || tw != "") && c.Status != StatusInProgress) {
		writeError(w, invalidCallState("Cannot update the call."))
		return
	}
	if u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			writeError(w, APIError{Code: CodeInvalidURL, Message: fmt.Sprintf("Url is not a valid URL: %s", u), MoreInfo: moreInfo(CodeInvalidURL), Status: http.StatusBadRequest})
			return
		}
		c.URL, c.Method = u, f.Get("Method")
		if c.Method == "" {
			c.Method = "POST"
		}
	}
	if tw != "" {
		c.Twiml = tw
	}
	switch status {
	case StatusCompleted:
		s.setStatus(c, StatusCompleted)
	case StatusCanceled:
		if c.Status != StatusInProgress {
			s.setStatus(c, StatusCanceled)
		}
	}
	c.Updates++
	writeJSON(w, http.StatusOK, s.callJSON(c))
}

func (s *Server) fetchCall(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupCall(w, r, true)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.callJSON(c))
}

// setStatus must be called with s.mu held.
func (s *Server) setStatus(c *Call, status string) {
	c.Status = status
	if status == StatusInProgress || status == StatusQueued || status == StatusRinging {
		return
	}
	now := s.opts.Now()
	if c.Ended.IsZero() {
		c.Ended = now
	}
	for i := range c.Streams {
		if c.Streams[i].Status == StreamInProgress {
			c.Streams[i].Status = StreamStopped
			c.Streams[i].Updated = now
		}
	}
}

// newSid must be called with s.mu held.
func (s *Server) newSid(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%032x", prefix, s.seq)
}

func (s *Server) callURI(c *Call) string {
	return "/2010-04-01/Accounts/" + c.AccountSid + "/Calls/" + c.Sid
}

func rfc2822(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC1123Z)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) streamJSON(c *Call, st Stream) map[string]any {
	return map[string]any{
		"sid":          st.Sid,
		"account_sid":  c.AccountSid,
		"call_sid":     c.Sid,
		"name":         nullable(st.Name),
		"status":       st.Status,
		"date_updated": rfc2822(st.Updated),
		"uri":          s.callURI(c) + "/Streams/" + st.Sid + ".json",
	}
}

func (s *Server) callJSON(c *Call) map[string]any {
	var duration any
	if !c.Ended.IsZero() {
		duration = strconv.Itoa(int(c.Ended.Sub(c.Created).Seconds()))
	}
	base := s.callURI(c)
	return map[string]any{
		"sid":              c.Sid,
		"date_created":     rfc2822(c.Created),
		"date_updated":     rfc2822(s.opts.Now()),
		"parent_call_sid":  nil,
		"account_sid":      c.AccountSid,
		"to":               c.To,
		"to_formatted":     c.To,
		"from":             c.From,
		"from_formatted":   c.From,
		"phone_number_sid": nil,
		"status":           c.Status,
		"start_time":       rfc2822(c.Created),
		"end_time":         rfc2822(c.Ended),
		"duration":         duration,
		"price":            nil,
		"price_unit":       "USD",
		"direction":        c.Direction,
		"answered_by":      nil,
		"api_version":      "2010-04-01",
		"forwarded_from":   nil,
		"group_sid":        nil,
		"caller_name":      nil,
		"queue_time":       "0",
		"trunk_sid":        nil,
		"uri":              base + ".json",
		"subresource_uris": map[string]string{
			"streams":       base + "/Streams.json",
			"notifications": base + "/Notifications.json",
			"recordings":    base + "/Recordings.json",
			"events":        base + "/Events.json",
		},
	}
}

func moreInfo(code int) string { return "https://www.twilio.com/docs/errors/" + strconv.Itoa(code) }

func notFound(path string) APIError {
	return APIError{Code: CodeNotFound, Message: "The requested resource " + path + " was not found", MoreInfo: moreInfo(CodeNotFound), Status: http.StatusNotFound}
}

func invalidCallState(what string) APIError {
	return APIError{Code: CodeInvalidCallState, Message: "Call is not in-progress. " + what, MoreInfo: moreInfo(CodeInvalidCallState), Status: http.StatusBadRequest}
}

func badRequest(msg string) APIError {
	return APIError{Code: CodeBadRequest, Message: msg, MoreInfo: moreInfo(CodeBadRequest), Status: http.StatusBadRequest}
}

func writeError(w http.ResponseWriter, e APIError) {
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func cloneStreams(in []Stream) []Stream {
	if in == nil {
		return nil
	}
	out := make([]Stream, len(in))
	for i, st := range in {
		out[i] = st
		if st.Parameters != nil {
			out[i].Parameters = make(map[string]string, len(st.Parameters))
			for k, v := range st.Parameters {
				out[i].Parameters[k] = v
			}
		}
	}
	return out
}

func cloneCall(c *Call) Call {
	out := *c
	out.Streams = cloneStreams(c.Streams)
	return out
}

// cloneValues deep-copies v; http.Header has the same shape and a Clone.
func cloneValues(v url.Values) url.Values {
	return url.Values(http.Header(v).Clone())
}
