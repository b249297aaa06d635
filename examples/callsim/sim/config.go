package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Config describes a run: which server, what audio, how many calls.
type Config struct {
	// Server is the base URL callsim sends requests to, e.g.
	// http://localhost:8080.
	Server string
	// PublicURL is the base URL the server validates Twilio signatures
	// against (its CALLGUARD_PUBLIC_URL); empty means Server.
	PublicURL string
	// AuthToken is the Twilio auth token the webhook and the WebSocket
	// upgrade are signed with; empty sends them unsigned.
	AuthToken string
	// APIToken is the bearer token for GET /v1/events; empty sends none.
	APIToken string
	// AccountSid, From and To fill the voice webhook; empty gets defaults.
	AccountSid, From, To string

	// Audio is what every call streams, looped to fill CallDuration.
	Audio Audio
	// CallDuration is each call's length; 0 streams Audio once.
	CallDuration time.Duration
	// Tracks overrides the tracks the TwiML answer asks for: "inbound" or
	// "both" (the outbound track plays the same audio). Empty follows the
	// TwiML's track attribute, as Twilio does.
	Tracks string
	// Realtime paces frames at 20 ms like Twilio; false sends them as fast
	// as the connection takes them.
	Realtime bool
	// SkipSilence leaves out silent 20 ms chunks, like Twilio does; the
	// server sees the timestamp gap.
	SkipSilence bool

	// DropWithoutStop ends each call by dropping the WebSocket without a
	// stop message, as when Twilio's connection is lost.
	DropWithoutStop bool

	// Calls is how many calls to place (at least 1); Ramp spreads their
	// starts evenly over this long.
	Calls int
	Ramp  time.Duration

	// Watch subscribes to /v1/events for the run and matches verdicts to
	// calls. OnEvent, when set, sees every event of this run's calls as it
	// arrives.
	Watch   bool
	OnEvent func(Event)
	// OnCall, when set, is called as each call ends, from its goroutine.
	OnCall func(CallResult)
	// Settle bounds how long to wait after the last call for its verdicts
	// and call-ended events; 0 means 10 s.
	Settle time.Duration

	// ServerPID is the server's process id: its CPU and RSS are read from
	// /proc. 0 looks it up (FindListener) when Server is on a loopback
	// host; negative, or no local process found, reads them from the
	// server's /metrics (process_cpu_seconds_total,
	// process_resident_memory_bytes).
	ServerPID int

	// Progress, when set, receives a progress line every ProgressEvery
	// (default 1 s), rewritten in place with a carriage return.
	Progress      io.Writer
	ProgressEvery time.Duration

	// HTTPClient makes the webhook, events and metrics requests; nil uses
	// a client tuned for many connections to one host.
	HTTPClient *http.Client
	// Logger receives per-call failures at Debug level; nil discards.
	Logger *slog.Logger
}

// CallResult is how one call went.
type CallResult struct {
	// Index is the call's number in the run, from 0.
	Index              int
	CallSid, StreamSid string
	// Streamed is true once the media WebSocket was open.
	Streamed bool
	// FramesSent counts media messages sent, all tracks.
	FramesSent int64
	// Err is why the call failed, nil on success.
	Err error
}

// ErrConfig is wrapped by Run for an unusable Config.
var ErrConfig = errors.New("sim: invalid config")

func (c *Config) check() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: server %q is not an http(s) URL", ErrConfig, c.Server)
	}
	if c.PublicURL != "" {
		p, err := url.Parse(c.PublicURL)
		if err != nil || p.Host == "" {
			return fmt.Errorf("%w: public URL %q is not absolute", ErrConfig, c.PublicURL)
		}
	}
	switch c.Tracks {
	case "", "inbound", "both":
	default:
		return fmt.Errorf("%w: tracks %q: want inbound or both", ErrConfig, c.Tracks)
	}
	if c.Calls < 1 {
		return fmt.Errorf("%w: calls must be at least 1", ErrConfig)
	}
	if c.Ramp < 0 || c.CallDuration < 0 || c.Settle < 0 {
		return fmt.Errorf("%w: negative duration", ErrConfig)
	}
	if len(c.Audio.Samples) < TwilioRate/50 {
		return fmt.Errorf("%w: audio shorter than one 20 ms frame", ErrConfig)
	}
	return nil
}

// TracksOverride returns Tracks ("" follows the TwiML).
func (c *Config) TracksOverride() string { return c.Tracks }

// NewSid returns a Twilio-style identifier: prefix and 32 random hex digits.
func NewSid(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Loop returns pcm repeated (and cut) to last d at 8 kHz; d ≤ 0 returns pcm.
func Loop(pcm []int16, d time.Duration) []int16 {
	if d <= 0 || len(pcm) == 0 {
		return pcm
	}
	n := int(d * TwilioRate / time.Second)
	out := make([]int16, n)
	for i := 0; i < n; i += len(pcm) {
		copy(out[i:], pcm)
	}
	return out
}
