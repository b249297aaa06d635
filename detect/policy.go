package detect

import (
	"fmt"
	"time"
)

// Alert is raised once per session, when the Policy decides the call's voice
// looks synthetic.
type Alert struct {
	// CallSid identifies the session's call.
	CallSid string `json:"call_sid,omitempty"`
	// Track identifies the session's track.
	Track string `json:"track,omitempty"`
	// Index is the number of the window whose verdict triggered the alert.
	Index int `json:"index"`
	// Start is where that window starts in the stream.
	Start time.Duration `json:"start"`
	// End is where that window ends in the stream.
	End time.Duration `json:"end"`
	// Score is the triggering window's score.
	Score float64 `json:"score"`
	// Reason is the policy's explanation, e.g. "2 of the last 3 speech windows fake (score ≥ 0.80)".
	Reason string `json:"reason"`
	// Evidence holds the judged speech verdicts the policy looked at, oldest first.
	Evidence []Verdict `json:"evidence,omitempty"`
}

// Policy turns per-window verdicts into a call-level alert and decision.
// A Policy must be safe to share between sessions: the session keeps the
// history and passes it in. Methods are called from the session's delivery
// goroutine, in window order.
type Policy interface {
	// Check is called after each judged speech window (label Real or Fake)
	// with the most recent judged speech verdicts, oldest first, the newest
	// last (at most MaxHistory of them; Check must not keep or modify the
	// slice). It returns a reason and true when
	// the session should alert. After the first alert Check is not called
	// again for that session.
	Check(recent []Verdict) (reason string, alert bool)
	// Decide draws the call-level decision from the final summary; alerted
	// reports whether Check fired during the session.
	Decide(s Summary, alerted bool) Decision
}

// MaxHistory is how many of the most recent judged speech verdicts a
// session keeps for its Policy.
const MaxHistory = 32

// KOfN is the default Policy: alert when at least K of the last N judged
// speech windows are Fake with a score of at least MinScore. Windows labelled
// NoSpeech or Unknown are not speech verdicts and neither count nor reset.
type KOfN struct {
	// K is how many Fake windows raise the alert (default 2, at most N).
	K int
	// N is how many of the most recent judged speech windows are looked at
	// (default 3, at most MaxHistory).
	N int
	// MinScore is the least score a Fake window needs to count.
	MinScore float64
}

// DefaultPolicy returns the default policy: 2 of the last 3 speech windows
// Fake with score ≥ 0.8.
func DefaultPolicy() KOfN { return KOfN{K: 2, N: 3, MinScore: 0.8} }

func (p KOfN) norm() KOfN {
	if p.N <= 0 {
		p.N = 3
	}
	if p.K <= 0 {
		p.K = min(2, p.N)
	}
	if p.K > p.N {
		p.K = p.N
	}
	if p.N > MaxHistory {
		p.N = MaxHistory
	}
	return p
}

// Check implements Policy.
func (p KOfN) Check(recent []Verdict) (string, bool) {
	p = p.norm()
	if len(recent) > p.N {
		recent = recent[len(recent)-p.N:]
	}
	fake := 0
	for _, v := range recent {
		if v.Label == Fake && v.Score >= p.MinScore {
			fake++
		}
	}
	if fake >= p.K {
		return fmt.Sprintf("%d of the last %d speech windows fake (score ≥ %.2f)", fake, len(recent), p.MinScore), true
	}
	return "", false
}

// Decide implements Policy: LikelyFake if the policy alerted; Inconclusive if
// fewer than N speech windows were judged, or if any judged window was Fake
// with score ≥ MinScore without reaching an alert; LikelyReal otherwise.
func (p KOfN) Decide(s Summary, alerted bool) Decision {
	p = p.norm()
	switch {
	case alerted:
		return LikelyFake
	case s.Judged < p.N, s.Fake > 0 && s.MaxScore >= p.MinScore:
		return Inconclusive
	}
	return LikelyReal
}
