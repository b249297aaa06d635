// Callsim plays Twilio against a running callguard server, for local
// development and for load.
//
// For each call it sends the voice webhook Twilio would send (a form POST to
// /twilio/voice, signed with the auth token like Twilio signs it), reads the
// TwiML answer, opens the media WebSocket the <Stream> names (with a signed
// upgrade) and streams speech as 20 ms μ-law frames in real time, then
// sends stop. Meanwhile it follows the server's events (GET /v1/events,
// Server-Sent Events) and prints each verdict as it arrives. At the end it
// prints a report: calls, frames sent, frames the server processed and
// dropped (from /metrics), verdict latency (window end → watcher), delivery
// latency (vendor answered → watcher), vendor latency, and server CPU and RSS.
//
// Against a server started with `go run ./examples/server` from the same
// directory, with no arguments: in local mode (no TWILIO_AUTH_TOKEN or
// CALLGUARD_API_TOKENS set) the server writes the tokens it generated to
// callguard.dev.env (mode 0600, removed when it stops), and callsim reads
// that file for whatever the environment does not set (CALLSIM_DEV_ENV
// names another file):
//
//	go run ./examples/server     # terminal 1
//	go run ./examples/callsim    # terminal 2
//
// Otherwise -token defaults to TWILIO_AUTH_TOKEN and -api-token to
// CALLSIM_API_TOKEN or the first of CALLGUARD_API_TOKENS; the server's
// start-up banner prints the exact command. -public-url must match the
// server's CALLGUARD_PUBLIC_URL when that differs from -server (requests are
// signed for the public URL, as Twilio signs them); the media URL in the
// TwiML answer is rewritten to -server and signed as given.
//
// Audio: -wav takes any PCM WAV (any rate, converted to 8 kHz with
// callguard's resampler); bare names pick the bundled files made by
// audio/gen.sh with espeak-ng and sox: hello-16k.wav (plain speech, judged
// real by the simulated detector), hello-8k.wav, and marker-16k.wav (speech
// under a 1 kHz marker tone, which detect/resembletest judges fake).
//
// Load: -calls N places N concurrent calls with their own CallSid and
// StreamSid, spread over -ramp; -duration loops the audio to make longer
// calls; -fast sends without pacing; -skip-silence leaves silent frames out
// like Twilio; -tracks both streams both tracks; -json prints the report as
// JSON. bench/e2e builds the end-to-end benchmark on the same engine
// (package sim).
package main
