package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/callguard/callguard/examples/server/internal/auth"
	"github.com/callguard/callguard/examples/server/internal/httpx"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/twiml"
)

// StreamControl starts and stops Twilio media streams; twiml.Streams
// implements it.
type StreamControl interface {
	Start(ctx context.Context, callSid string, opts twiml.StreamOptions) (string, error)
	Stop(ctx context.Context, callSid, streamSidOrName string) error
}

// LiveSessions ends detection sessions running in this process.
type LiveSessions interface {
	// StopDetection ends the live session of detection id, persisting its
	// last window and summary, and reports whether it was running here.
	StopDetection(ctx context.Context, id string) bool
}

// Options are the API's dependencies.
type Options struct {
	// Store holds calls, detections, verdicts and numbers. Required.
	Store store.Store
	// Auth checks bearer tokens. Required.
	Auth *auth.Authenticator
	// Streams starts and stops Twilio streams; nil answers 503 to starts.
	Streams StreamControl
	// Live ends sessions running in this process; nil means none do.
	Live LiveSessions
	// MediaURL is the wss:// URL Twilio streams audio to; StatusURL
	// receives stream status callbacks.
	MediaURL, StatusURL string
	// Simulated marks new detections as simulated.
	Simulated bool
	// Window and Hop are recorded on new detections.
	Window, Hop time.Duration
	// MaxBody bounds JSON bodies.
	MaxBody int64
	// Logger is the fallback logger (requests carry their own).
	Logger *slog.Logger
}

// API serves /v1 except the event endpoints.
type API struct {
	o Options
}

// New returns the API.
func New(o Options) *API {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{o: o}
}

// Register adds the API's routes to mux, each behind bearer-token auth.
func (a *API) Register(mux *http.ServeMux) {
	route := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, a.RequireToken(h, false))
	}
	route("POST /v1/detections", a.startDetection)
	route("GET /v1/detections", a.listDetections)
	route("GET /v1/detections/{id}", a.getDetection)
	route("POST /v1/detections/{id}/stop", a.stopDetection)
	route("GET /v1/calls", a.listCalls)
	route("GET /v1/calls/{callSid}", a.getCall)
	route("GET /v1/numbers", a.listNumbers)
	route("GET /v1/numbers/{e164}", a.getNumber)
	route("PUT /v1/numbers/{e164}", a.putNumber)
	route("DELETE /v1/numbers/{e164}", a.deleteNumber)
	for _, p := range []string{"/v1/detections", "/v1/detections/{id}", "/v1/detections/{id}/stop",
		"/v1/calls", "/v1/calls/{callSid}", "/v1/numbers", "/v1/numbers/{e164}"} {
		mux.HandleFunc(p, MethodNotAllowed)
	}
}

// MethodNotAllowed answers a problem for a known path with the wrong method.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, http.StatusMethodNotAllowed, httpx.CodeMethodNotAllowed, r.Method+" is not supported on "+r.URL.Path)
}

// RequireToken runs next only for requests with a valid bearer token. With
// allowQuery the token may also come in the access_token query parameter
// (for EventSource).
func (a *API) RequireToken(next http.Handler, allowQuery bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.o.Auth.Check(r.Context(), auth.Token(r, allowQuery)); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="callguard"`)
			httpx.Error(w, r, http.StatusUnauthorized, httpx.CodeUnauthorized, "send Authorization: Bearer <token>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

var (
	callSidRE = regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`)
	e164RE    = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// StartRequest is the body of POST /v1/detections.
type StartRequest struct {
	// CallSid is the live call (CA followed by 32 hex digits).
	CallSid string `json:"call_sid"`
	// Track is inbound (default), outbound or both.
	Track string `json:"track,omitempty"`
}

// StartResponse is the answer of POST /v1/detections.
type StartResponse struct {
	// StreamSid is the stream Twilio created.
	StreamSid string `json:"stream_sid"`
	// Detections holds one detection per track, inbound first.
	Detections []view.Detection `json:"detections"`
}

// tracksFor maps an API track to the Twilio stream track and the media
// tracks it carries.
func tracksFor(t string) (twilioTrack string, tracks []string, ok bool) {
	switch t {
	case "", "inbound":
		return twiml.TrackInbound, []string{"inbound"}, true
	case "outbound":
		return twiml.TrackOutbound, []string{"outbound"}, true
	case "both":
		return twiml.TrackBoth, []string{"inbound", "outbound"}, true
	}
	return "", nil, false
}

func (a *API) logger(r *http.Request) *slog.Logger { return httpx.Logger(r.Context(), a.o.Logger) }

func (a *API) startDetection(w http.ResponseWriter, r *http.Request) {
	var req StartRequest
	if p := httpx.DecodeJSON(w, r, a.o.MaxBody, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if !callSidRE.MatchString(req.CallSid) {
		httpx.WriteProblem(w, r, httpx.InvalidField("call_sid", "call_sid must be a Twilio call SID (CA followed by 32 hex digits)"))
		return
	}
	twTrack, tracks, ok := tracksFor(req.Track)
	if !ok {
		httpx.WriteProblem(w, r, httpx.InvalidField("track", "track must be inbound, outbound or both"))
		return
	}
	ctx := r.Context()
	log := a.logger(r).With("call_sid", req.CallSid)
	for _, t := range tracks {
		d, err := a.o.Store.ActiveDetection(ctx, req.CallSid, t)
		if err == nil {
			p := httpx.NewProblem(http.StatusConflict, httpx.CodeDetectionActive,
				"detection "+d.ID+" is already running on the "+t+" track of this call")
			httpx.WriteProblem(w, r, p)
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			a.storeError(w, r, err)
			return
		}
	}
	if a.o.Streams == nil {
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "no Twilio REST credentials configured")
		return
	}
	streamSid, err := a.o.Streams.Start(ctx, req.CallSid, twiml.StreamOptions{
		URL:                  a.o.MediaURL,
		Track:                twTrack,
		StatusCallback:       a.o.StatusURL,
		StatusCallbackMethod: http.MethodPost,
	})
	if err != nil {
		a.twilioError(w, r, err)
		return
	}
	log = log.With("stream_sid", streamSid)
	if _, err := a.o.Store.UpsertCall(ctx, store.Call{Sid: req.CallSid}); err != nil {
		a.storeError(w, r, err)
		return
	}
	resp := StartResponse{StreamSid: streamSid}
	for _, t := range tracks {
		d, err := a.o.Store.CreateDetection(ctx, store.Detection{CallSid: req.CallSid, Track: t, StreamSid: streamSid,
			Simulated: a.o.Simulated, Window: a.o.Window, Hop: a.o.Hop})
		if errors.Is(err, store.ErrConflict) {
			// The media stream connected first and opened the session.
			d, err = a.o.Store.ActiveDetection(ctx, req.CallSid, t)
		}
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		resp.Detections = append(resp.Detections, view.FromDetection(d))
	}
	log.Info("detection started", "tracks", tracks)
	w.Header().Set("Location", "/v1/detections/"+resp.Detections[0].ID)
	httpx.WriteJSON(w, http.StatusCreated, resp)
}

func (a *API) stopDetection(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	d, err := a.o.Store.GetDetection(ctx, id)
	if err != nil {
		a.detectionError(w, r, err)
		return
	}
	if d.Status.Terminal() {
		httpx.Error(w, r, http.StatusConflict, httpx.CodeDetectionFinished, "detection "+id+" is already "+string(d.Status))
		return
	}
	log := a.logger(r).With("call_sid", d.CallSid, "stream_sid", d.StreamSid, "detection_id", id)
	if d.StreamSid != "" && a.o.Streams != nil && !a.streamShared(ctx, d) {
		if err := a.o.Streams.Stop(ctx, d.CallSid, d.StreamSid); err != nil &&
			!errors.Is(err, twiml.ErrNotFound) && !errors.Is(err, twiml.ErrCallNotInProgress) {
			a.twilioError(w, r, err)
			return
		}
	}
	if a.o.Live == nil || !a.o.Live.StopDetection(ctx, id) {
		_, err := a.o.Store.UpdateDetection(ctx, id, store.DetectionUpdate{Status: store.DetectionStopped})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			a.storeError(w, r, err)
			return
		}
	}
	d, err = a.o.Store.GetDetection(ctx, id)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	log.Info("detection stopped")
	httpx.WriteJSON(w, http.StatusOK, view.FromDetection(d))
}

// streamShared reports whether another live detection uses d's stream (both
// tracks of one stream): stopping the Twilio stream would end it too.
func (a *API) streamShared(ctx context.Context, d store.Detection) bool {
	page, err := a.o.Store.ListDetections(ctx, store.DetectionFilter{StreamSid: d.StreamSid}, store.PageRequest{Limit: 10})
	if err != nil {
		return false
	}
	for _, o := range page.Items {
		if o.ID != d.ID && !o.Status.Terminal() {
			return true
		}
	}
	return false
}

func (a *API) getDetection(w http.ResponseWriter, r *http.Request) {
	d, err := a.o.Store.GetDetection(r.Context(), r.PathValue("id"))
	if err != nil {
		a.detectionError(w, r, err)
		return
	}
	v := view.FromDetection(d)
	vs, err := a.allVerdicts(r.Context(), store.VerdictFilter{DetectionID: d.ID}, d.Hop, d.Window)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	v.Verdicts = vs
	httpx.WriteJSON(w, http.StatusOK, v)
}

// maxVerdicts caps the verdicts embedded in a call or detection view.
const maxVerdicts = 10000

func (a *API) allVerdicts(ctx context.Context, f store.VerdictFilter, hop, window time.Duration) ([]view.Verdict, error) {
	if hop <= 0 {
		hop = window
	}
	out := []view.Verdict{}
	req := store.PageRequest{Limit: store.MaxPageLimit}
	for len(out) < maxVerdicts {
		page, err := a.o.Store.ListVerdicts(ctx, f, req)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Items {
			out = append(out, view.FromVerdict(v, hop))
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	return out, nil
}

func pageRequest(r *http.Request) (store.PageRequest, *httpx.Problem) {
	q := r.URL.Query()
	var p store.PageRequest
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return p, httpx.InvalidField("limit", "limit must be an integer from 1 to "+strconv.Itoa(store.MaxPageLimit))
		}
		p.Limit = n
	}
	p.Cursor = q.Get("cursor")
	return p, nil
}

func (a *API) listDetections(w http.ResponseWriter, r *http.Request) {
	pr, prob := pageRequest(r)
	if prob != nil {
		httpx.WriteProblem(w, r, prob)
		return
	}
	q := r.URL.Query()
	f := store.DetectionFilter{CallSid: q.Get("call_sid"), StreamSid: q.Get("stream_sid"), Track: q.Get("track"),
		Status: store.DetectionStatus(q.Get("status"))}
	switch f.Status {
	case "", store.DetectionStarting, store.DetectionActive, store.DetectionStopped, store.DetectionFailed:
	default:
		httpx.WriteProblem(w, r, httpx.InvalidField("status", "status must be starting, active, stopped or failed"))
		return
	}
	page, err := a.o.Store.ListDetections(r.Context(), f, pr)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := view.Page[view.Detection]{Items: []view.Detection{}, NextCursor: page.NextCursor}
	for _, d := range page.Items {
		out.Items = append(out.Items, view.FromDetection(d))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) listCalls(w http.ResponseWriter, r *http.Request) {
	pr, prob := pageRequest(r)
	if prob != nil {
		httpx.WriteProblem(w, r, prob)
		return
	}
	page, err := a.o.Store.ListCalls(r.Context(), pr)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := view.Page[view.Call]{Items: []view.Call{}, NextCursor: page.NextCursor}
	for _, c := range page.Items {
		out.Items = append(out.Items, view.FromCall(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getCall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := a.o.Store.GetCall(ctx, r.PathValue("callSid"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			httpx.Error(w, r, http.StatusNotFound, httpx.CodeCallNotFound, "no call "+r.PathValue("callSid"))
			return
		}
		a.storeError(w, r, err)
		return
	}
	v, err := CallView(ctx, a.o.Store, c)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

// CallView assembles the full view of a call: detections, verdicts,
// actions, alert and decision.
func CallView(ctx context.Context, st store.Store, c store.Call) (view.Call, error) {
	a := &API{o: Options{Store: st}}
	v := view.FromCall(c)
	v.Verdicts = []view.Verdict{}
	req := store.PageRequest{Limit: store.MaxPageLimit}
	for {
		page, err := st.ListDetections(ctx, store.DetectionFilter{CallSid: c.Sid}, req)
		if err != nil {
			return v, err
		}
		for _, d := range page.Items {
			dv := view.FromDetection(d)
			vs, err := a.allVerdicts(ctx, store.VerdictFilter{DetectionID: d.ID}, d.Hop, d.Window)
			if err != nil {
				return v, err
			}
			v.Verdicts = append(v.Verdicts, vs...)
			v.Detections = append(v.Detections, dv)
			v.Simulated = v.Simulated || d.Simulated
			if dec := decisionOf(d.Summary); dec != "" && (v.Decision == "" || dec == "likely_fake") {
				v.Decision = dec
			}
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	if !v.Ended && len(v.Detections) > 0 {
		live := false
		for _, d := range v.Detections {
			live = live || d.Status == string(store.DetectionActive) || d.Status == string(store.DetectionStarting)
		}
		if !live {
			v.State = "ended"
		}
	}
	acts, err := st.ListActions(ctx, c.Sid)
	if err != nil {
		return v, err
	}
	for _, ac := range acts {
		v.Actions = append(v.Actions, view.FromAction(ac))
	}
	alert, err := firstAlert(ctx, st, c.Sid)
	if err != nil {
		return v, err
	}
	v.Alert = alert
	return v, nil
}

func (a *API) listNumbers(w http.ResponseWriter, r *http.Request) {
	pr, prob := pageRequest(r)
	if prob != nil {
		httpx.WriteProblem(w, r, prob)
		return
	}
	page, err := a.o.Store.ListNumbers(r.Context(), pr)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := view.Page[view.Number]{Items: []view.Number{}, NextCursor: page.NextCursor}
	for _, n := range page.Items {
		out.Items = append(out.Items, view.FromNumber(n))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) number(w http.ResponseWriter, r *http.Request) (string, bool) {
	e := r.PathValue("e164")
	if !e164RE.MatchString(e) {
		httpx.WriteProblem(w, r, httpx.InvalidField("e164", "the number must be E.164: + and 2 to 15 digits, e.g. +14155550100 (escape + as %2B in URLs)"))
		return "", false
	}
	return e, true
}

func (a *API) getNumber(w http.ResponseWriter, r *http.Request) {
	e, ok := a.number(w, r)
	if !ok {
		return
	}
	n, err := a.o.Store.GetNumber(r.Context(), e)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			httpx.Error(w, r, http.StatusNotFound, httpx.CodeNumberNotFound, "no settings for "+e)
			return
		}
		a.storeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, view.FromNumber(n))
}

func (a *API) deleteNumber(w http.ResponseWriter, r *http.Request) {
	e, ok := a.number(w, r)
	if !ok {
		return
	}
	if err := a.o.Store.DeleteNumber(r.Context(), e); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			httpx.Error(w, r, http.StatusNotFound, httpx.CodeNumberNotFound, "no settings for "+e)
			return
		}
		a.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// NumberRequest is the body of PUT /v1/numbers/{e164}.
type NumberRequest struct {
	// Enabled turns detection on or off for calls to this number. Required.
	Enabled *bool `json:"enabled"`
	// Track is inbound_track (default), outbound_track or both_tracks.
	Track string `json:"track,omitempty"`
	// Action is notify (default), announce, redirect or hangup.
	Action string `json:"action,omitempty"`
	// RedirectURL is required for the redirect action.
	RedirectURL string `json:"redirect_url,omitempty"`
}

var httpsURL = regexp.MustCompile(`^https?://[^\s/]+(/\S*)?$`)

func (a *API) putNumber(w http.ResponseWriter, r *http.Request) {
	e, ok := a.number(w, r)
	if !ok {
		return
	}
	var req NumberRequest
	if p := httpx.DecodeJSON(w, r, a.o.MaxBody, &req); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if req.Enabled == nil {
		httpx.WriteProblem(w, r, httpx.InvalidField("enabled", "enabled is required (true or false)"))
		return
	}
	if req.Track == "" {
		req.Track = store.TrackInbound
	}
	switch req.Track {
	case store.TrackInbound, store.TrackOutbound, store.TrackBoth:
	default:
		httpx.WriteProblem(w, r, httpx.InvalidField("track", "track must be inbound_track, outbound_track or both_tracks"))
		return
	}
	if req.Action == "" {
		req.Action = string(store.ActionNotify)
	}
	if !store.Action(req.Action).Valid() {
		httpx.WriteProblem(w, r, httpx.InvalidField("action", "action must be notify, announce, redirect or hangup"))
		return
	}
	if req.Action == string(store.ActionRedirect) && !httpsURL.MatchString(req.RedirectURL) {
		httpx.WriteProblem(w, r, httpx.InvalidField("redirect_url", "redirect_url must be an absolute http(s) URL for the redirect action"))
		return
	}
	if req.RedirectURL != "" && !httpsURL.MatchString(req.RedirectURL) {
		httpx.WriteProblem(w, r, httpx.InvalidField("redirect_url", "redirect_url must be an absolute http(s) URL"))
		return
	}
	n, err := a.o.Store.PutNumber(r.Context(), store.Number{E164: e, Enabled: *req.Enabled, Track: req.Track,
		Action: store.Action(req.Action), RedirectURL: req.RedirectURL})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.logger(r).Info("number settings saved", "number", e, "enabled", n.Enabled, "action", string(n.Action))
	httpx.WriteJSON(w, http.StatusOK, view.FromNumber(n))
}

func (a *API) detectionError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		httpx.Error(w, r, http.StatusNotFound, httpx.CodeDetectionNotFound, "no detection "+r.PathValue("id"))
		return
	}
	a.storeError(w, r, err)
}

func (a *API) storeError(w http.ResponseWriter, r *http.Request, err error) {
	var ie *store.InvalidError
	switch {
	case errors.As(err, &ie):
		httpx.WriteProblem(w, r, httpx.InvalidField(ie.Field, ie.Reason))
	case errors.Is(err, store.ErrNotFound):
		httpx.Error(w, r, http.StatusNotFound, httpx.CodeNotFound, "not found")
	case errors.Is(err, store.ErrConflict):
		httpx.Error(w, r, http.StatusConflict, httpx.CodeDetectionActive, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "request cancelled")
	default:
		a.logger(r).Error("store failed", "err", err)
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "the database is unavailable")
	}
}

func (a *API) twilioError(w http.ResponseWriter, r *http.Request, err error) {
	var te *twiml.Error
	switch {
	case errors.Is(err, twiml.ErrCallNotFound):
		httpx.Error(w, r, http.StatusNotFound, httpx.CodeCallNotFound, "Twilio does not know this call")
	case errors.Is(err, twiml.ErrCallNotInProgress):
		httpx.Error(w, r, http.StatusConflict, httpx.CodeDetectionFinished, "the call is not in progress")
	case errors.Is(err, twiml.ErrTooManyStreams), errors.Is(err, twiml.ErrDuplicateStreamName):
		httpx.Error(w, r, http.StatusConflict, httpx.CodeDetectionActive, err.Error())
	case errors.As(err, &te):
		a.logger(r).Warn("twilio request failed", "code", te.Code, "status", te.Status, "op", te.Op)
		httpx.Error(w, r, http.StatusBadGateway, httpx.CodeUpstream, "Twilio answered error "+strconv.Itoa(te.Code)+": "+te.Message)
	default:
		a.logger(r).Warn("twilio request failed", "err", err)
		httpx.Error(w, r, http.StatusBadGateway, httpx.CodeUpstream, "Twilio request failed")
	}
}
