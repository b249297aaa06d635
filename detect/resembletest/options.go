package resembletest

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Options configures the fake. The zero value accepts any bearer token,
// answers immediately and judges by the marker tone.
type Options struct {
	// APIKey, when set, is the only bearer token accepted; otherwise any
	// non-empty "Authorization: Bearer …" is. Others get 401.
	APIKey string
	// Latency is how long each detection takes: a "Prefer: wait" request is
	// answered after it, and an asynchronous detection reads "processing"
	// until it has passed.
	Latency time.Duration
	// Verdict scripts the answer per request; nil uses Analyze on the
	// uploaded audio. Returning a zero Result also falls back to Analyze.
	Verdict func(Request) Result
	// Fault injects a fault per POST /detect request, after those queued
	// with InjectFaults. nil means none.
	Fault func(Request) Fault
	// NumericScores sends scores as JSON numbers instead of the strings
	// Resemble sends, to exercise clients' tolerance.
	NumericScores bool
	// KeepAudio keeps the decoded samples of each upload in the request log
	// (Request.Samples). Off by default to bound memory.
	KeepAudio bool
	// Logger receives one debug line per request (default: discard).
	Logger *slog.Logger
	// MaxLog bounds the request log to the most recent requests (0:
	// DefaultMaxLog; negative: unbounded). A fake serving a long run, like
	// the example server's simulated detector, would otherwise keep every
	// request forever.
	MaxLog int
	// Retention is how long a detection (for GET /detect/{uuid}) and an
	// upload's token (for a JSON POST /detect) are kept after they are
	// created (0: DefaultRetention; negative: forever). Afterwards they
	// answer as unknown ones do: 404 "Detect not found", and "media_token
	// is invalid or expired".
	Retention time.Duration
}

// Defaults for Options.MaxLog and Options.Retention.
const (
	DefaultMaxLog    = 10000
	DefaultRetention = time.Hour
)

func (o Options) maxLog() int {
	if o.MaxLog == 0 {
		return DefaultMaxLog
	}
	return o.MaxLog
}

func (o Options) retention() time.Duration {
	if o.Retention == 0 {
		return DefaultRetention
	}
	return o.Retention
}

// Result is a scripted or analysed detection outcome.
type Result struct {
	// Label is "fake" or "real" (any string is sent verbatim).
	Label string
	// Scores are the per-chunk scores, sent as strings in metrics.score.
	Scores []float64
	// Aggregated is sent as metrics.aggregated_score; if zero, the mean of
	// Scores is sent.
	Aggregated float64
	// OmitAggregated leaves metrics.aggregated_score out of the answer.
	OmitAggregated bool
	// Fail makes the detection end with status "failed" and this
	// error_message.
	Fail string
}

func (r Result) zero() bool {
	return r.Label == "" && len(r.Scores) == 0 && r.Aggregated == 0 && r.Fail == ""
}

// Fault is an injected misbehaviour for one POST /detect request.
type Fault struct {
	// Status, when non-zero, is answered instead of a detection, with
	// Resemble's error shape.
	Status int
	// Message is the error's "message" (default: the status text).
	Message string
	// RetryAfter is sent as a Retry-After header (whole seconds, rounded up)
	// with Status.
	RetryAfter time.Duration
	// Hang holds the request open, answering nothing, until the client gives
	// up or the server closes.
	Hang bool
	// Processing makes the detection answer "processing" (even under
	// "Prefer: wait") for this many GET /detect/{uuid} polls before it
	// completes.
	Processing int
}

func (f Fault) zero() bool { return f == Fault{} }

// Request is one entry of the request log.
type Request struct {
	// Time is when the request arrived.
	Time time.Time
	// Method is the HTTP method.
	Method string
	// Path is the request path with any "/api/v2" prefix removed.
	Path string
	// Header is a copy of the request's header.
	Header http.Header
	// Form holds the non-file multipart fields, or the JSON body's fields.
	Form url.Values
	// FileName is the uploaded file's multipart file name.
	FileName string
	// SampleRate is the uploaded WAV's sample rate.
	SampleRate int
	// NumSamples is the uploaded WAV's length in samples (first channel).
	NumSamples int
	// Samples holds the uploaded audio when Options.KeepAudio is set.
	Samples []int16
	// MediaToken is the token a JSON POST /detect referred to.
	MediaToken string
	// UUID is the detect object created or fetched.
	UUID string
	// Status is the HTTP status answered (0 for a hang the client abandoned).
	Status int
	// Fault is the fault injected, if any.
	Fault Fault
}
