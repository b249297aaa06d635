// Package callguard catches synthetic (deepfake) voices on live phone calls
// while the call is still going.
//
// This root package holds no code; it is the map. A Twilio call forks its
// audio to you over a WebSocket, and the packages below turn that stream into
// live verdicts:
//
//	Twilio ──wss──▶ media ──8 kHz PCM──▶ resample ──16 kHz PCM──▶ detect ──Verdict──▶ notify ──▶ watchers
//	   ▲                                                              │
//	   └──────────────────── twiml (TwiML, signatures, REST) ◀────────┘ (act on an alert)
//
// Import the package that does the part you need:
//
//   - [github.com/callguard/callguard/media]: the Twilio Media Streams
//     protocol. Accept a signed WebSocket upgrade, read per-track frames of
//     8 kHz PCM with gaps filled by timestamp; fast μ-law decode/encode.
//     media/mediatest plays Twilio's side in tests.
//   - [github.com/callguard/callguard/resample]: a streaming, stateful,
//     pure-Go resampler (8 kHz → 16 kHz and any integer ratio) with
//     low delay.
//   - [github.com/callguard/callguard/detect]: a vendor-neutral Detector
//     interface and a streaming Session that cuts audio into windows, asks
//     the vendor, and emits verdicts in order plus a call-level decision.
//     detect/resemble is the Resemble Detect client; detect/resembletest is a
//     faithful fake of it for offline tests.
//   - [github.com/callguard/callguard/twiml]: call control — TwiML that forks
//     the audio, Twilio signature validation, voice and stream-status
//     webhooks, and REST calls that start/stop streams and act on live calls.
//     twiml/twiliotest fakes Twilio's REST API and signs requests like Twilio.
//   - [github.com/callguard/callguard/notify]: deliver events to people and
//     systems — a Hub serving Server-Sent Events and WebSocket, signed
//     outgoing webhooks, and notify/pgnotify to fan out across replicas over
//     PostgreSQL.
//
// The pieces compose with plain values: a media.Frame's Samples go through a
// resample.Resampler into a detect.Session; the session's OnVerdict callback
// hands each detect.Verdict to a notify.Notifier. examples/embed is that
// program in one screen; examples/server is the complete service, and
// examples/callsim drives it like Twilio does.
package callguard
