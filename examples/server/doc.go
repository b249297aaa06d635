/*
Command server is the reference callguard deployment: it composes the
library's packages into a service that watches live Twilio calls for
synthetic (deepfake) voices.

	go run ./examples/server

starts it on an embedded SQLite database (callguard.db) with, when
RESEMBLE_API_KEY is unset, a local simulated detector (detect/resembletest
in-process) whose every verdict is labelled simulated. The start-up banner
says where to point Twilio and how to drive the server locally with
go run ./examples/callsim.

How a call flows:

	Twilio ── POST /twilio/voice ──▶ TwiML <Start><Stream> (per-number policy)
	Twilio ══ GET /twilio/media (WebSocket) ══▶ media.Accept
	Twilio ── POST /twilio/call-status ──▶ call ended_at, open detections ended
	   └─▶ per track: resample 8→16 kHz ─▶ detect.Session ─▶ verdict rows
	         ─▶ events (SSE /v1/events, WebSocket, webhook, other replicas)
	         ─▶ on alert: notify | announce | redirect | hangup (twiml.Calls)

Detection can also be started on a live call through the API
(POST /v1/detections), which asks Twilio for a stream over REST.

Subcommands: "migrate status|up|down" runs the embedded migrations;
"token create NAME|revoke ID|list" manages API tokens stored as SHA-256
hashes.

Configuration comes from flags, the environment, a -config file of
KEY=value lines and defaults, in that order; -print-config shows the
result with secrets redacted. Every setting is listed by -help and in the
README.

The code lives in internal packages, one per concern: config, logging,
metrics, httpx (problem+json, request IDs, access logs), auth, view (JSON
shapes), api, pipeline, dashboard, app (composition, Twilio endpoints,
shutdown) and cli; store is the persistence layer (SQLite or PostgreSQL).
*/
package main
