package twiml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header carrying Twilio's request signature.
const SignatureHeader = "X-Twilio-Signature"

// DefaultMaxBodyBytes bounds the body Validator reads when MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Signature validation errors returned by Validator.Validate.
var (
	// ErrMissingSignature reports a request without X-Twilio-Signature.
	ErrMissingSignature = errors.New("twiml: missing X-Twilio-Signature")
	// ErrInvalidSignature reports a signature that does not match the
	// rebuilt URL, the parameters or the body.
	ErrInvalidSignature = errors.New("twiml: invalid X-Twilio-Signature")
	// ErrBodyTooLarge reports a body over Validator.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("twiml: request body too large")
	// ErrValidatorConfig reports a Validator without AuthToken or with a
	// PublicURL that is not an absolute http(s)/ws(s) URL.
	ErrValidatorConfig = errors.New("twiml: validator misconfigured")
)

// Validator checks that requests come from Twilio, with twilio-go's
// client.RequestValidator.
//
// The signed URL is rebuilt as PublicURL + the request's escaped path +
// "?" + its raw query — never from Host or X-Forwarded-* headers, which a
// client controls. PublicURL is the externally visible base
// (https://calls.example.com, optionally with a path prefix that a proxy or
// http.StripPrefix removed before the request reached this handler).
//
// Form POSTs are checked over URL + sorted form parameters. JSON (and other)
// bodies are checked the way Twilio signs them: the URL carries a bodySHA256
// query parameter, the signature covers the URL, and the body must hash to
// it. GET requests (including WebSocket upgrades) are checked over the URL.
type Validator struct {
	// AuthToken is the account's auth token (the HMAC key). Required.
	AuthToken string
	// PublicURL is the scheme://host[:port][/prefix] Twilio calls. Required.
	PublicURL string
	// MaxBodyBytes bounds the body read for validation; 0 means
	// DefaultMaxBodyBytes. Larger bodies answer 413.
	MaxBodyBytes int64
	// Logger receives rejected requests at Warn level (a misconfigured
	// Validator at Error); nil uses slog.Default(). Unused when OnReject is
	// set.
	Logger *slog.Logger
	// OnReject, if set, answers the requests Middleware rejects, in place of
	// its plain-text answer and its log line — for example to write an RFC
	// 9457 problem+json body and log with request-scoped fields. err wraps
	// ErrMissingSignature, ErrInvalidSignature, ErrBodyTooLarge or
	// ErrValidatorConfig; RejectStatus maps it to the status Middleware
	// would use. The next handler never runs for a rejected request.
	OnReject func(w http.ResponseWriter, r *http.Request, err error)
}

// RejectStatus returns the HTTP status Middleware answers for a Validate
// error: 413 for ErrBodyTooLarge, 500 for ErrValidatorConfig, 403
// otherwise.
func RejectStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrValidatorConfig):
		return http.StatusInternalServerError
	}
	return http.StatusForbidden
}

// URL returns the URL Twilio signed for r, rebuilt from PublicURL.
func (v Validator) URL(r *http.Request) (string, error) {
	base, err := url.Parse(v.PublicURL)
	if err != nil || base.Host == "" {
		return "", fmt.Errorf("%w: PublicURL %q", ErrValidatorConfig, v.PublicURL)
	}
	switch base.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return "", fmt.Errorf("%w: PublicURL %q", ErrValidatorConfig, v.PublicURL)
	}
	u := strings.TrimSuffix(base.Scheme+"://"+base.Host+base.EscapedPath(), "/")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u += path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u, nil
}

// Validate checks r's signature. It reads the body (up to MaxBodyBytes) and
// replaces r.Body with a fresh reader over the same bytes, so the next
// handler can still read it. It returns nil, or an error wrapping
// ErrMissingSignature, ErrInvalidSignature, ErrBodyTooLarge or
// ErrValidatorConfig.
func (v Validator) Validate(r *http.Request) error {
	if v.AuthToken == "" {
		return fmt.Errorf("%w: empty AuthToken", ErrValidatorConfig)
	}
	signed, err := v.URL(r)
	if err != nil {
		return err
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return ErrMissingSignature
	}
	body, err := v.readBody(r)
	if err != nil {
		return err
	}
	rv := client.NewRequestValidator(v.AuthToken)
	var ok bool
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		ok = rv.Validate(signed, map[string]string{}, sig)
	case r.URL.Query().Get("bodySHA256") != "":
		ok = rv.ValidateBody(signed, body, sig)
	case isForm(r):
		ok = rv.ValidateBody(signed, body, sig)
	default:
		// A body Twilio did not sign as form or with bodySHA256: only an
		// empty body can be covered by the URL signature alone.
		ok = len(body) == 0 && rv.Validate(signed, map[string]string{}, sig)
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true // Twilio always sets it; an empty body parses as no params
	}
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded")
}

func (v Validator) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("twiml: read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return body, nil
}

// Middleware returns a handler that runs next only for requests with a valid
// Twilio signature. Missing, forged or altered requests get 403 Forbidden,
// bodies over MaxBodyBytes 413, a misconfigured Validator 500 (see
// RejectStatus), answered in plain text or by OnReject; next never runs
// for them.
func (v Validator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := v.Validate(r)
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if v.OnReject != nil {
			v.OnReject(w, r, err)
			return
		}
		logger := loggerOr(v.Logger)
		status := RejectStatus(err)
		if status == http.StatusInternalServerError {
			logger.Error("twilio signature validator misconfigured", "err", err)
		}
		logger.Warn("rejected twilio request", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		http.Error(w, http.StatusText(status), status)
	})
}
