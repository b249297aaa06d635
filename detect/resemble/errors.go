package resemble

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Sentinel errors. An *APIError matches the status sentinels with errors.Is.
var (
	// ErrUnauthorized matches a 401 answer: missing or wrong API key.
	ErrUnauthorized = errors.New("resemble: unauthorized")
	// ErrForbidden matches a 403 answer.
	ErrForbidden = errors.New("resemble: forbidden")
	// ErrNotFound matches a 404 answer (e.g. Get with an unknown uuid).
	ErrNotFound = errors.New("resemble: not found")
	// ErrRateLimited matches a 429 answer.
	ErrRateLimited = errors.New("resemble: rate limited")
	// ErrServer matches a 5xx answer.
	ErrServer = errors.New("resemble: server error")
	// ErrDetectionFailed is returned (wrapped) when Resemble reports the
	// detection job's status as "failed".
	ErrDetectionFailed = errors.New("resemble: detection failed")
	// ErrMalformed is returned (wrapped) when an answer cannot be understood.
	ErrMalformed = errors.New("resemble: malformed answer")
)

// APIError is a non-2xx answer from the Resemble API, decoded from its error
// shape {"success":false,"message":…,"error":…,"errors":{field:[…]}}.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the answer's "message" (or "error"), or the status text.
	Message string
	// Errors holds per-field validation messages, when given.
	Errors map[string][]string
	// RetryAfter is the parsed Retry-After header (429/503), if any.
	RetryAfter time.Duration
	// Attempts is how many requests were made before giving up.
	Attempts int
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "resemble: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Errors) > 0 {
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			if k != "" {
				b.WriteString(k + ": ")
			}
			b.WriteString(strings.Join(e.Errors[k], ", "))
		}
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is matches the status sentinels ErrUnauthorized, ErrForbidden,
// ErrNotFound, ErrRateLimited and ErrServer.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// Temporary reports whether the request may succeed if retried (429, 5xx).
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}
