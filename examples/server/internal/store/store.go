package store

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the persistence layer of the callguard server. Both backends
// (SQLite and PostgreSQL) implement it over one schema, and both behave the
// same way: the same errors, the same ordering, the same time precision
// (microseconds, UTC).
//
// Every method is safe for concurrent use. Methods return ErrNotFound,
// ErrConflict or ErrInvalid (possibly wrapped in a typed error) for the
// conditions a caller is expected to handle; anything else is an
// infrastructure error (see IsTransient).
type Store interface {
	// Backend reports which database the store runs on.
	Backend() Backend
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// CheckMigrations returns nil when every embedded migration is applied,
	// and an error wrapping ErrMigrationsPending otherwise. It is the
	// "migrations current" half of a readiness probe.
	CheckMigrations(ctx context.Context) error
	// Migrate runs "up" (apply all pending), "down" (roll back the latest)
	// or "status" (change nothing) and returns the state of every migration
	// afterwards.
	Migrate(ctx context.Context, cmd string) ([]MigrationStatus, error)
	// Close releases the database connections.
	Close() error

	// UpsertCall inserts the call or updates the fields of c that are set
	// (non-empty strings, non-zero times); CreatedAt is kept from the first
	// insert. It returns the stored row.
	UpsertCall(ctx context.Context, c Call) (Call, error)
	// GetCall returns the call with the given SID or ErrNotFound.
	GetCall(ctx context.Context, callSid string) (Call, error)
	// ListCalls lists calls, newest first.
	ListCalls(ctx context.Context, page PageRequest) (Page[Call], error)

	// UpsertStream inserts the stream or updates the fields of s that are
	// set (an empty Status keeps the stored one; a new stream defaults to
	// StreamStarted). The call row is created if it does not exist yet. A
	// stream SID already recorded for another call returns ErrConflict.
	UpsertStream(ctx context.Context, s Stream) (Stream, error)
	// GetStream returns the stream with the given SID or ErrNotFound.
	GetStream(ctx context.Context, streamSid string) (Stream, error)
	// ListStreams lists the streams of a call, oldest first.
	ListStreams(ctx context.Context, callSid string) ([]Stream, error)

	// CreateDetection records a new detection session. ID is generated when
	// empty, Status defaults to DetectionStarting, StartedAt to now. The call
	// row is created if it does not exist yet. It fails with an error
	// wrapping ErrConflict (a *ConflictError) when a starting or active
	// detection already exists for the same call and track.
	CreateDetection(ctx context.Context, d Detection) (Detection, error)
	// GetDetection returns the detection with the given ID or ErrNotFound.
	GetDetection(ctx context.Context, id string) (Detection, error)
	// ActiveDetection returns the starting or active detection of a call and
	// track, or ErrNotFound.
	ActiveDetection(ctx context.Context, callSid, track string) (Detection, error)
	// UpdateDetection moves a detection to u.Status and records the other
	// set fields of u. Allowed moves: starting → active, starting|active →
	// stopped|failed, and a repeat of the current status for starting and
	// active. Any other move returns a *TransitionError (which wraps
	// ErrConflict); an unknown ID returns ErrNotFound.
	UpdateDetection(ctx context.Context, id string, u DetectionUpdate) (Detection, error)
	// SetDetectionSummary replaces the summary of a stopped or failed
	// detection and leaves its status, StoppedAt and Error as they are. It
	// is how the replica holding a stream stores the final summary of a
	// detection that another replica (or a stream status callback) already
	// ended, after UpdateDetection refused the move with a
	// *TransitionError. summary must be non-empty valid JSON (ErrInvalid);
	// a starting or active detection returns a *ConflictError (its summary
	// is set by UpdateDetection when it ends); an unknown ID ErrNotFound.
	SetDetectionSummary(ctx context.Context, id string, summary json.RawMessage) (Detection, error)
	// ListDetections lists detections matching f, newest first.
	ListDetections(ctx context.Context, f DetectionFilter, page PageRequest) (Page[Detection], error)

	// InsertVerdict stores the verdict of one window. The insert is
	// idempotent: the row is unique per (DetectionID, WindowStart), and a
	// repeated insert stores nothing and returns the row already stored with
	// created == false. An unknown DetectionID returns ErrNotFound.
	InsertVerdict(ctx context.Context, v Verdict) (stored Verdict, created bool, err error)
	// ListVerdicts lists verdicts matching f in insertion order (which is
	// window order per detection).
	ListVerdicts(ctx context.Context, f VerdictFilter, page PageRequest) (Page[Verdict], error)

	// PutNumber inserts or replaces the settings of a phone number and
	// returns the stored row (UpdatedAt set by the store).
	PutNumber(ctx context.Context, n Number) (Number, error)
	// GetNumber returns the settings of a number or ErrNotFound.
	GetNumber(ctx context.Context, e164 string) (Number, error)
	// DeleteNumber removes a number or returns ErrNotFound.
	DeleteNumber(ctx context.Context, e164 string) error
	// ListNumbers lists numbers ordered by E164.
	ListNumbers(ctx context.Context, page PageRequest) (Page[Number], error)

	// CreateAPIToken stores a token by its SHA-256 hash (see HashToken); the
	// token itself is never stored. ID is generated when empty. A second
	// token with the same hash returns ErrConflict.
	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	// APITokenByHash returns the unrevoked token with the given hash or
	// ErrNotFound.
	APITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	// TouchAPIToken sets LastUsedAt of a token to now.
	TouchAPIToken(ctx context.Context, id string) error
	// RevokeAPIToken marks a token revoked; it no longer authenticates.
	RevokeAPIToken(ctx context.Context, id string) error
	// ListAPITokens lists tokens, oldest first.
	ListAPITokens(ctx context.Context, page PageRequest) (Page[APIToken], error)

	// RecordAction stores an action taken on an alert, with the verdicts that
	// caused it. ID is generated when empty; a repeated ID is a no-op that
	// returns the stored row. Unknown verdict IDs return ErrNotFound.
	RecordAction(ctx context.Context, a ActionRecord) (ActionRecord, error)
	// ListActions lists the actions taken on a call, oldest first.
	ListActions(ctx context.Context, callSid string) ([]ActionRecord, error)

	// AppendEvent appends an event to the history. ID is generated when
	// empty; appending an ID already stored is a no-op that returns the
	// stored event with created == false. Seq is assigned by the store and
	// grows with every append.
	AppendEvent(ctx context.Context, e Event) (stored Event, created bool, err error)
	// ListEvents lists events matching f in Seq order, for history and
	// replay (f.AfterSeq resumes after the last event seen). On PostgreSQL
	// with concurrent writers a Seq is taken before its transaction commits,
	// so an event can become visible after one with a higher Seq; a reader
	// that must see every event re-reads a little before its last Seq and
	// drops the IDs it already has.
	ListEvents(ctx context.Context, f EventFilter, page PageRequest) (Page[Event], error)
}

// Backend names a database engine.
type Backend string

// Backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Call is a phone call known to the server.
type Call struct {
	Sid        string // Twilio CallSid (CA…), the key
	AccountSid string
	From       string
	To         string
	Direction  string
	Status     string // Twilio call status, free text
	CreatedAt  time.Time
	UpdatedAt  time.Time
	EndedAt    time.Time // zero while the call is live
}

// StreamStatus is the state of a media stream.
type StreamStatus string

// Stream statuses.
const (
	StreamStarted StreamStatus = "started"
	StreamStopped StreamStatus = "stopped"
	StreamFailed  StreamStatus = "failed"
)

// Stream is a Twilio media stream forked from a call.
type Stream struct {
	Sid        string // StreamSid (MZ…), the key
	CallSid    string
	AccountSid string
	Name       string
	Tracks     []string
	Status     StreamStatus // StreamStarted when first stored with none
	Error      string       // e.g. a Twilio error code and message
	StartedAt  time.Time
	EndedAt    time.Time
	Stats      json.RawMessage // frames, gaps, dropped… as the server reports them
}

// DetectionStatus is the state of a detection session.
type DetectionStatus string

// Detection statuses.
const (
	DetectionStarting DetectionStatus = "starting"
	DetectionActive   DetectionStatus = "active"
	DetectionStopped  DetectionStatus = "stopped"
	DetectionFailed   DetectionStatus = "failed"
)

// Terminal reports whether s is stopped or failed.
func (s DetectionStatus) Terminal() bool { return s == DetectionStopped || s == DetectionFailed }

// Detection is one detection session: one track of one call, analysed
// window by window.
type Detection struct {
	ID        string
	CallSid   string
	Track     string
	Status    DetectionStatus
	StreamSid string
	Simulated bool          // verdicts come from the local simulated detector
	Window    time.Duration // stored as milliseconds
	Hop       time.Duration // stored as milliseconds
	StartedAt time.Time
	StoppedAt time.Time       // zero until stopped or failed
	Summary   json.RawMessage // detect.Summary as JSON, set when it ends
	Error     string          // why it failed
	UpdatedAt time.Time
}

// DetectionUpdate is the change applied by UpdateDetection. Zero fields
// are left as stored.
type DetectionUpdate struct {
	Status    DetectionStatus // required
	StreamSid string
	Summary   json.RawMessage
	Error     string
	At        time.Time // time of the change; defaults to now (StoppedAt for terminal states)
}

// DetectionFilter selects detections. Zero fields match everything.
type DetectionFilter struct {
	CallSid   string
	StreamSid string
	Track     string
	Status    DetectionStatus
}

// Verdict is the stored result for one window of a detection.
type Verdict struct {
	ID          int64 // assigned by the store
	DetectionID string
	CallSid     string        // taken from the detection when empty
	Track       string        // taken from the detection when empty
	WindowStart time.Duration // offset in the stream; stored as milliseconds
	WindowEnd   time.Duration
	Label       string // the text form of detect.Label
	Score       float64
	Vendor      string
	VendorID    string        // the vendor's ID for this request
	Latency     time.Duration // stored as milliseconds
	Simulated   bool
	Err         string          // why the label is unknown
	Raw         json.RawMessage // vendor response, optional
	CreatedAt   time.Time
}

// VerdictFilter selects verdicts. At least one field should be set.
type VerdictFilter struct {
	DetectionID string
	CallSid     string
	Label       string
}

// Action is what the server does when a detection alerts.
type Action string

// Actions.
const (
	ActionNotify   Action = "notify"   // notify subscribers only (the default)
	ActionAnnounce Action = "announce" // play a warning into the call
	ActionRedirect Action = "redirect" // redirect the call to Number.RedirectURL
	ActionHangup   Action = "hangup"   // end the call
)

// Valid reports whether a is one of the known actions.
func (a Action) Valid() bool {
	switch a {
	case ActionNotify, ActionAnnounce, ActionRedirect, ActionHangup:
		return true
	}
	return false
}

// Twilio stream track values accepted in Number.Track.
const (
	TrackInbound  = "inbound_track"
	TrackOutbound = "outbound_track"
	TrackBoth     = "both_tracks"
)

// Number holds the detection settings of one phone number.
type Number struct {
	E164        string // "+" and 1 to 15 digits, the key
	Enabled     bool
	Track       string // TrackInbound (default), TrackOutbound or TrackBoth
	Action      Action // defaults to ActionNotify
	RedirectURL string // required when Action is ActionRedirect
	UpdatedAt   time.Time
}

// APIToken is a bearer token known by its SHA-256 hash only.
type APIToken struct {
	ID         string
	Name       string
	Hash       []byte // sha256 of the token, 32 bytes; see HashToken
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// ActionStatus is the outcome of an action.
type ActionStatus string

// Action outcomes.
const (
	ActionDone   ActionStatus = "done"
	ActionFailed ActionStatus = "failed"
)

// ActionRecord is an action taken on an alert.
type ActionRecord struct {
	ID          string
	CallSid     string
	DetectionID string // optional
	Action      Action
	Status      ActionStatus // defaults to ActionDone
	Error       string
	VerdictIDs  []int64 // the verdicts that caused it
	CreatedAt   time.Time
}

// Event is a stored notification, mirroring notify.Event, with a sequence
// number for ordered replay.
type Event struct {
	Seq     int64 // assigned by the store, increasing
	ID      string
	Type    string
	CallSid string
	Time    time.Time
	Data    json.RawMessage
}

// EventFilter selects events. Zero fields match everything.
type EventFilter struct {
	CallSid  string
	Types    []string
	AfterSeq int64 // only events with Seq > AfterSeq
	Since    time.Time
}

// PageRequest asks for one page of a listing. Limit defaults to
// DefaultPageLimit and is capped at MaxPageLimit. Cursor is the NextCursor
// of the previous page, or empty for the first page.
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Page is one page of a listing. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// MigrationStatus is the state of one embedded migration.
type MigrationStatus struct {
	Version   int64
	Name      string // file name
	Applied   bool
	AppliedAt time.Time
}
