// Package detect turns a live call's audio into per-window synthetic-voice
// verdicts and a call-level decision, independent of the detection vendor.
//
// A vendor judges one Clip at a time through the Detector interface (or a
// DetectorFunc). A Session adapts a stream to it:
//
//	s := detect.NewSession(client, detect.SessionOptions{
//		CallSid: sid, Track: "inbound",          // copied into every Verdict
//		Window: 4 * time.Second,                 // Hop defaults to Window
//		OnVerdict: func(v detect.Verdict) { ... },
//		OnAlert:   func(a detect.Alert) { ... }, // at most once per session
//	})
//	for frame := range frames { s.Write(frame.Samples) } // any chunk size, never blocks
//	summary, err := s.Close(ctx)                          // flushes, waits, reports
//
// Windowing is exact: with Hop = Window every sample lands in exactly one
// window; Hop < Window overlaps windows, Hop > Window leaves gaps. Close
// cuts the remaining samples into one last, shorter window.
//
// Windows with less than MinSpeech of voiced audio (an energy VAD over
// 20 ms frames, see VoicedSamples) get a NoSpeech verdict without a vendor
// call. Up to MaxInFlight Detect calls run at once; up to MaxQueued more
// windows wait; beyond that a window is skipped with an Unknown verdict whose
// Err says so. A failed Detect (after the vendor client's own retries), a
// panic, or a timeout gives an Unknown verdict with the error, and the
// session goes on.
//
// Verdicts and the alert are delivered from one goroutine, in window order,
// even when answers arrive out of order. A Policy (DefaultPolicy: 2 of the
// last 3 judged speech windows Fake with score ≥ 0.8) raises the alert and
// draws the Summary's Decision: likely_fake, likely_real or inconclusive.
//
// No goroutine started by a Session outlives Close. Vendors live in
// sub-packages: detect/resemble is the Resemble Detect client and
// detect/resembletest its fake, for tests and offline runs.
package detect
