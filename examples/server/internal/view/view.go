package view

import (
	"encoding/json"
	"time"

	"github.com/callguard/callguard/examples/server/internal/store"
)

// Call is a call as the API shows it.
type Call struct {
	CallSid    string     `json:"call_sid"`              // Twilio call SID (CA…)
	AccountSid string     `json:"account_sid,omitempty"` // Twilio account SID (AC…)
	From       string     `json:"from,omitempty"`        // caller
	To         string     `json:"to,omitempty"`          // called number
	Direction  string     `json:"direction,omitempty"`   // Twilio call direction
	Status     string     `json:"status,omitempty"`      // status text
	State      string     `json:"state"`                 // live or ended
	Ended      bool       `json:"ended"`                 // whether the call has ended
	CreatedAt  time.Time  `json:"created_at"`            // when first seen
	UpdatedAt  time.Time  `json:"updated_at"`            // last change
	EndedAt    *time.Time `json:"ended_at,omitempty"`    // when the call ended

	// The fields below are filled by GET /v1/calls/{callSid} only.
	Detections []Detection `json:"detections,omitempty"`
	Verdicts   []Verdict   `json:"verdicts,omitempty"`  // every window verdict, in window order
	Actions    []Action    `json:"actions,omitempty"`   // actions taken on alerts
	Alert      *Alert      `json:"alert,omitempty"`     // the first alert, if any
	Decision   string      `json:"decision,omitempty"`  // call-level decision (likely_real, likely_fake, inconclusive)
	Simulated  bool        `json:"simulated,omitempty"` // verdicts come from the simulated detector
}

// Detection is a detection session.
type Detection struct {
	ID        string          `json:"id"`                   // identifier
	CallSid   string          `json:"call_sid"`             // Twilio call SID (CA…)
	Track     string          `json:"track"`                // media track (inbound, outbound) or Twilio stream track
	Status    string          `json:"status"`               // status text
	StreamSid string          `json:"stream_sid,omitempty"` // Twilio stream SID (MZ…)
	Simulated bool            `json:"simulated"`            // verdicts come from the simulated detector
	WindowMs  int64           `json:"window_ms"`            // window length
	HopMs     int64           `json:"hop_ms"`               // distance between window starts
	StartedAt time.Time       `json:"started_at"`           // when the session started
	StoppedAt *time.Time      `json:"stopped_at,omitempty"` // when it stopped or failed
	Summary   json.RawMessage `json:"summary,omitempty"`    // session summary, set when it ends
	Error     string          `json:"error,omitempty"`      // why it failed or why the label is unknown
	Verdicts  []Verdict       `json:"verdicts,omitempty"`   // every window verdict, in window order
}

// Verdict is the verdict of one window. It is also the Data of "verdict"
// events.
type Verdict struct {
	ID          int64      `json:"id,omitempty"`         // identifier
	DetectionID string     `json:"detection_id"`         // detection session ID
	CallSid     string     `json:"call_sid"`             // Twilio call SID (CA…)
	Track       string     `json:"track"`                // media track (inbound, outbound) or Twilio stream track
	Index       int        `json:"index"`                // window number from 0
	StartMs     int64      `json:"start_ms"`             // window start in the stream
	EndMs       int64      `json:"end_ms"`               // window end in the stream
	Label       string     `json:"label"`                // real, fake, no_speech or unknown
	Score       float64    `json:"score"`                // probability the voice is synthetic, 0..1
	Vendor      string     `json:"vendor,omitempty"`     // who answered
	VendorID    string     `json:"vendor_id,omitempty"`  // the vendor's ID for the answer
	LatencyMs   int64      `json:"latency_ms"`           // vendor answer time
	DecidedAt   time.Time  `json:"decided_at,omitzero"`  // when the vendor answered (or the window was settled without it)
	Simulated   bool       `json:"simulated"`            // verdicts come from the simulated detector
	Error       string     `json:"error,omitempty"`      // why it failed or why the label is unknown
	CreatedAt   *time.Time `json:"created_at,omitempty"` // when first seen
}

// Alert is the Data of "alert" events and the alert of a call.
type Alert struct {
	DetectionID string  `json:"detection_id"`            // detection session ID
	CallSid     string  `json:"call_sid"`                // Twilio call SID (CA…)
	Track       string  `json:"track"`                   // media track (inbound, outbound) or Twilio stream track
	Reason      string  `json:"reason"`                  // why
	Score       float64 `json:"score"`                   // probability the voice is synthetic, 0..1
	StartMs     int64   `json:"start_ms"`                // window start in the stream
	EndMs       int64   `json:"end_ms"`                  // window end in the stream
	Action      string  `json:"action"`                  // notify, announce, redirect or hangup
	ActionState string  `json:"action_status,omitempty"` // done or failed
	VerdictIDs  []int64 `json:"verdict_ids"`             // the verdicts that caused it
	Simulated   bool    `json:"simulated"`               // verdicts come from the simulated detector
}

// Action is an action taken on an alert.
type Action struct {
	ID          string    `json:"id"`                     // identifier
	CallSid     string    `json:"call_sid"`               // Twilio call SID (CA…)
	DetectionID string    `json:"detection_id,omitempty"` // detection session ID
	Action      string    `json:"action"`                 // notify, announce, redirect or hangup
	Status      string    `json:"status"`                 // status text
	Error       string    `json:"error,omitempty"`        // why it failed or why the label is unknown
	VerdictIDs  []int64   `json:"verdict_ids"`            // the verdicts that caused it
	CreatedAt   time.Time `json:"created_at"`             // when first seen
}

// Number holds the detection settings of a phone number.
type Number struct {
	E164        string    `json:"e164"`                   // the number
	Enabled     bool      `json:"enabled"`                // detection on for calls to this number
	Track       string    `json:"track"`                  // media track (inbound, outbound) or Twilio stream track
	Action      string    `json:"action"`                 // notify, announce, redirect or hangup
	RedirectURL string    `json:"redirect_url,omitempty"` // target of the redirect action
	UpdatedAt   time.Time `json:"updated_at"`             // last change
}

// CallEnded is the Data of "call.ended" events: one per detection session
// that ended — except with several replicas, when the call ends (Twilio's
// call-status callback) on a replica that does not hold the session's
// stream: that replica sends one at once, without a summary, and the
// holding replica a second one with the final summary when the stream
// closes. The later event for a DetectionID supersedes the earlier.
type CallEnded struct {
	DetectionID string          `json:"detection_id"`         // detection session ID
	Track       string          `json:"track"`                // media track (inbound, outbound) or Twilio stream track
	StreamSid   string          `json:"stream_sid,omitempty"` // Twilio stream SID (MZ…)
	Status      string          `json:"status"`               // status text
	Decision    string          `json:"decision,omitempty"`   // call-level decision (likely_real, likely_fake, inconclusive)
	Summary     json.RawMessage `json:"summary,omitempty"`    // session summary, set when it ends
	Reason      string          `json:"reason,omitempty"`     // why
}

// StreamStarted is the Data of "stream.started" and "call.started" events.
type StreamStarted struct {
	StreamSid    string   `json:"stream_sid,omitempty"`    // Twilio stream SID (MZ…)
	Tracks       []string `json:"tracks,omitempty"`        // tracks in the stream
	From         string   `json:"from,omitempty"`          // caller
	To           string   `json:"to,omitempty"`            // called number
	DetectionIDs []string `json:"detection_ids,omitempty"` // one detection per track
	Simulated    bool     `json:"simulated"`               // verdicts come from the simulated detector
}

// Page is one page of a listing.
type Page[T any] struct {
	Items      []T    `json:"items"`                 // this page
	NextCursor string `json:"next_cursor,omitempty"` // pass as cursor for the next page; empty on the last
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// FromCall converts a stored call.
func FromCall(c store.Call) Call {
	v := Call{CallSid: c.Sid, AccountSid: c.AccountSid, From: c.From, To: c.To, Direction: c.Direction,
		Status: c.Status, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), EndedAt: timePtr(c.EndedAt)}
	v.Ended = !c.EndedAt.IsZero()
	v.State = "live"
	if v.Ended {
		v.State = "ended"
	}
	return v
}

// FromDetection converts a stored detection.
func FromDetection(d store.Detection) Detection {
	return Detection{ID: d.ID, CallSid: d.CallSid, Track: d.Track, Status: string(d.Status), StreamSid: d.StreamSid,
		Simulated: d.Simulated, WindowMs: d.Window.Milliseconds(), HopMs: d.Hop.Milliseconds(),
		StartedAt: d.StartedAt.UTC(), StoppedAt: timePtr(d.StoppedAt), Summary: d.Summary, Error: d.Error}
}

// FromVerdict converts a stored verdict. Index is derived from the window
// start and hop when hop is positive.
func FromVerdict(v store.Verdict, hop time.Duration) Verdict {
	out := Verdict{ID: v.ID, DetectionID: v.DetectionID, CallSid: v.CallSid, Track: v.Track,
		StartMs: v.WindowStart.Milliseconds(), EndMs: v.WindowEnd.Milliseconds(), Label: v.Label, Score: v.Score,
		Vendor: v.Vendor, VendorID: v.VendorID, LatencyMs: v.Latency.Milliseconds(), Simulated: v.Simulated,
		Error: v.Err, CreatedAt: timePtr(v.CreatedAt)}
	if hop > 0 {
		out.Index = int(v.WindowStart / hop)
	}
	return out
}

// FromAction converts a stored action.
func FromAction(a store.ActionRecord) Action {
	ids := a.VerdictIDs
	if ids == nil {
		ids = []int64{}
	}
	return Action{ID: a.ID, CallSid: a.CallSid, DetectionID: a.DetectionID, Action: string(a.Action),
		Status: string(a.Status), Error: a.Error, VerdictIDs: ids, CreatedAt: a.CreatedAt.UTC()}
}

// FromNumber converts stored number settings.
func FromNumber(n store.Number) Number {
	return Number{E164: n.E164, Enabled: n.Enabled, Track: n.Track, Action: string(n.Action),
		RedirectURL: n.RedirectURL, UpdatedAt: n.UpdatedAt.UTC()}
}
