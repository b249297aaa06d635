package detect

// Label is the per-window answer: is the voice in this window synthetic?
type Label string

// The labels a Verdict can carry.
const (
	// Real means the vendor judged the speech in the window to be a human voice.
	Real Label = "real"
	// Fake means the vendor judged the speech in the window to be synthetic.
	Fake Label = "fake"
	// NoSpeech means the window held too little voiced audio (by the energy
	// voice-activity detector) to be worth asking a vendor; no call was made.
	NoSpeech Label = "no_speech"
	// Unknown means there is no answer for the window: the vendor failed, the
	// window was skipped under back-pressure, or the session was cancelled.
	// Verdict.Err says why.
	Unknown Label = "unknown"
)

// Valid reports whether l is one of the four labels above.
func (l Label) Valid() bool {
	switch l {
	case Real, Fake, NoSpeech, Unknown:
		return true
	}
	return false
}

// String returns the label's wire form.
func (l Label) String() string { return string(l) }

// Decision is the call-level conclusion a Policy draws from a whole session.
type Decision string

// The decisions a Summary can carry.
const (
	// LikelyReal means enough speech was judged and it did not look synthetic.
	LikelyReal Decision = "likely_real"
	// LikelyFake means the policy alerted: the caller's voice looks synthetic.
	LikelyFake Decision = "likely_fake"
	// Inconclusive means there was too little judged speech (or too mixed a
	// picture) to say either way.
	Inconclusive Decision = "inconclusive"
)

// String returns the decision's wire form.
func (d Decision) String() string { return string(d) }
