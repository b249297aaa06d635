// Package api implements the detection API under /v1: start and stop
// detection on live calls, read calls, detections and verdicts, and set the
// per-number settings the voice webhook's policy reads.
//
//	POST   /v1/detections               {"call_sid":"CA…","track":"inbound|outbound|both"} → 201
//	GET    /v1/detections?call_sid=&status=&track=&limit=&cursor=
//	GET    /v1/detections/{id}          detection, summary and verdicts
//	POST   /v1/detections/{id}/stop     → 200, or 409 detection_finished
//	GET    /v1/calls?limit=&cursor=     newest first
//	GET    /v1/calls/{callSid}          state, verdicts, actions, alert, decision
//	GET    /v1/numbers, GET|PUT|DELETE /v1/numbers/{e164}
//
// Every route requires a bearer token (see package auth; RequireToken).
// Bodies are strict JSON (application/json, size-limited, no unknown
// fields). Every error is an RFC 9457 problem+json document with a stable
// code (package httpx); store and Twilio errors are mapped to codes such as
// call_not_found, detection_active and upstream_error.
//
// Starting a detection asks Twilio, through StreamControl (twiml.Streams),
// to fork the call's audio to the media URL, and records one detection per
// track; the pipeline picks the detection up when the stream connects.
// Stopping one ends the live session through LiveSessions when this
// process holds it, so its last window and summary are stored.
package api
