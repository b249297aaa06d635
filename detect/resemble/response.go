package resemble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Number is a JSON number that Resemble may send as a number or as a string
// ("0.91"). Null, "" and a missing field leave Valid false.
type Number struct {
	// Value is the number; 0 when Valid is false.
	Value float64
	// Valid reports whether a number was present.
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	*n = Number{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
		if s == "" {
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("resemble: number %s: %w", b, ErrMalformed)
	}
	*n = Number{Value: v, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler; an invalid Number is null.
func (n Number) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, n.Value, 'g', -1, 64), nil
}

// Numbers is a list of Numbers; a single number (or string) decodes as a
// one-element list and null as empty. Invalid entries are dropped.
type Numbers []float64

// UnmarshalJSON implements json.Unmarshaler.
func (ns *Numbers) UnmarshalJSON(b []byte) error {
	*ns = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] != '[' {
		var n Number
		if err := n.UnmarshalJSON(b); err != nil {
			return err
		}
		if n.Valid {
			*ns = Numbers{n.Value}
		}
		return nil
	}
	var raw []Number
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, n := range raw {
		if n.Valid {
			*ns = append(*ns, n.Value)
		}
	}
	return nil
}

// Metrics is the audio part of a detection result.
type Metrics struct {
	// Label is "fake" or "real".
	Label string `json:"label"`
	// Score holds one prediction per analysed chunk (frame_length seconds).
	Score Numbers `json:"score"`
	// Consistency is Resemble's consistency metric across chunks.
	Consistency Number `json:"consistency"`
	// AggregatedScore is the overall score.
	AggregatedScore Number `json:"aggregated_score"`
	// Image is the visualisation heat-map URL (visualize=true).
	Image string `json:"image,omitempty"`
}

// Detection is one detect object, as returned by POST /detect and
// GET /detect/{uuid} under "item".
type Detection struct {
	// UUID identifies the detection (GET /detect/{uuid}).
	UUID string `json:"uuid"`
	// Status is StatusProcessing, StatusCompleted or StatusFailed.
	Status string `json:"status"`
	// MediaType is "audio", "video" or "image".
	MediaType string `json:"media_type"`
	// Metrics is the audio result, once completed.
	Metrics Metrics `json:"metrics"`
	// Duration is the media's length in seconds, when reported.
	Duration Number `json:"duration"`
	// ErrorMessage says why a detection failed.
	ErrorMessage string `json:"error_message"`
	// Filename is the uploaded file's name.
	Filename string `json:"filename"`
	// ZeroRetentionMode reports whether the media is deleted after analysis.
	ZeroRetentionMode bool `json:"zero_retention_mode"`
	// CreatedAt is when the detection was created (RFC 3339).
	CreatedAt string `json:"created_at"`
	// UpdatedAt is when the detection last changed (RFC 3339).
	UpdatedAt string `json:"updated_at"`

	// Raw is the whole JSON answer this Detection was decoded from.
	Raw json.RawMessage `json:"-"`
}

// The detection statuses Resemble reports.
const (
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

// Done reports whether the detection reached a final status. An answer
// without a status counts as done when its metrics carry a label or a score.
func (d *Detection) Done() bool {
	switch strings.ToLower(d.Status) {
	case StatusCompleted, StatusFailed:
		return true
	case "":
		return d.Metrics.Label != "" || len(d.Metrics.Score) > 0 || d.Metrics.AggregatedScore.Valid
	}
	return false
}

// Score returns the probability that the audio is synthetic: the
// aggregated_score if present, else the mean of the per-chunk scores.
// ok is false when neither is present.
func (d *Detection) Score() (score float64, ok bool) {
	if d.Metrics.AggregatedScore.Valid {
		return d.Metrics.AggregatedScore.Value, true
	}
	if len(d.Metrics.Score) == 0 {
		return 0, false
	}
	var sum float64
	for _, v := range d.Metrics.Score {
		sum += v
	}
	return sum / float64(len(d.Metrics.Score)), true
}

// envelope is every answer's outer shape.
type envelope struct {
	Success *bool           `json:"success"`
	Item    *Detection      `json:"item"`
	Token   string          `json:"token"`
	Message string          `json:"message"`
	Error   json.RawMessage `json:"error"`
	Errors  json.RawMessage `json:"errors"`
}

// parseDetection decodes a detect answer.
func parseDetection(body []byte) (*Detection, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Item == nil {
		return nil, fmt.Errorf("%w: no \"item\" in answer", ErrMalformed)
	}
	d := env.Item
	d.Raw = append(json.RawMessage(nil), body...)
	return d, nil
}

// parseAPIError decodes Resemble's error shape; it tolerates non-JSON bodies.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		if s := strings.TrimSpace(string(body)); len(s) > 0 && len(s) <= 200 {
			e.Message = s
		}
		return e
	}
	e.Message = env.Message
	if e.Message == "" {
		e.Message = flexString(env.Error)
	}
	e.Errors = flexErrors(env.Errors)
	return e
}

// flexString returns a JSON string's value, or a compact form of any other value.
func flexString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// flexErrors decodes "errors" given as {field:[msg]}, {field:msg}, [msg] or msg.
func flexErrors(raw json.RawMessage) map[string][]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		out := make(map[string][]string, len(m))
		for k, v := range m {
			var list []string
			if json.Unmarshal(v, &list) != nil {
				list = []string{flexString(v)}
			}
			out[k] = list
		}
		return out
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return map[string][]string{"": list}
	}
	return map[string][]string{"": {flexString(raw)}}
}
