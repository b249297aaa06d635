package httpx

import (
	"encoding/json"
	"net/http"
)

// ProblemType prefixes every problem code to form the RFC 9457 "type" URI.
const ProblemType = "urn:callguard:problem:"

// Problem is an RFC 9457 problem details object. Code is the stable,
// machine-readable identifier clients switch on; Type is ProblemType+Code.
type Problem struct {
	Type      string `json:"type"`                 // ProblemType + Code
	Title     string `json:"title"`                // short, fixed per code
	Status    int    `json:"status"`               // HTTP status
	Detail    string `json:"detail,omitempty"`     // what went wrong with this request
	Instance  string `json:"instance,omitempty"`   // the request path
	Code      string `json:"code"`                 // stable machine-readable code
	RequestID string `json:"request_id,omitempty"` // the X-Request-Id of the request
	// Field names the offending request field, when there is one.
	Field string `json:"field,omitempty"`
}

// Error implements error so handlers can return problems.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Code + ": " + p.Detail
	}
	return p.Code
}

// Stable problem codes.
const (
	CodeBadRequest        = "bad_request"
	CodeInvalidJSON       = "invalid_json"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeInvalidField      = "invalid_field"
	CodeUnauthorized      = "unauthorized"
	CodeInvalidSignature  = "invalid_signature"
	CodeNotFound          = "not_found"
	CodeCallNotFound      = "call_not_found"
	CodeDetectionNotFound = "detection_not_found"
	CodeNumberNotFound    = "number_not_found"
	CodeDetectionActive   = "detection_active"
	CodeDetectionFinished = "detection_finished"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeUpstream          = "upstream_error"
	CodeUnavailable       = "unavailable"
	CodeTooManyStreams    = "too_many_streams"
	CodeInternal          = "internal"
)

var titles = map[string]string{
	CodeBadRequest:        "Bad request",
	CodeInvalidJSON:       "Malformed JSON body",
	CodeBodyTooLarge:      "Request body too large",
	CodeUnsupportedMedia:  "Unsupported content type",
	CodeInvalidField:      "Invalid field",
	CodeUnauthorized:      "Missing or invalid bearer token",
	CodeInvalidSignature:  "Invalid Twilio signature",
	CodeNotFound:          "Not found",
	CodeCallNotFound:      "Unknown call",
	CodeDetectionNotFound: "Unknown detection",
	CodeNumberNotFound:    "Unknown number",
	CodeDetectionActive:   "Detection already running",
	CodeDetectionFinished: "Detection already finished",
	CodeMethodNotAllowed:  "Method not allowed",
	CodeUpstream:          "Upstream service failed",
	CodeUnavailable:       "Service unavailable",
	CodeTooManyStreams:    "Too many streams",
	CodeInternal:          "Internal error",
}

// NewProblem returns a problem with the title registered for code.
func NewProblem(status int, code, detail string) *Problem {
	t := titles[code]
	if t == "" {
		t = http.StatusText(status)
	}
	return &Problem{Type: ProblemType + code, Title: t, Status: status, Code: code, Detail: detail}
}

// WriteProblem writes p as application/problem+json, filling in Instance and
// RequestID from r.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	if p.RequestID == "" && r != nil {
		p.RequestID = RequestID(r.Context())
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Error writes a problem with the given status, code and detail.
func Error(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	WriteProblem(w, r, NewProblem(status, code, detail))
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
