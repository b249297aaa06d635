// Package twiliotest is the offline Twilio for testing code built on
// package twiml: it signs requests exactly as Twilio does and fakes the
// Twilio REST API that twilio-go talks to.
//
// # Signing
//
// Signature computes X-Twilio-Signature (HMAC-SHA1 over the URL plus the
// sorted POST parameters, base64); SignURL signs a GET or WebSocket upgrade
// URL; SignJSON adds the bodySHA256 query parameter of JSON webhooks and
// signs the resulting URL; SignRequest signs an *http.Request in place.
// NewFormRequest and NewJSONRequest build ready, signed server-side requests
// for handler tests, and VoiceParams / StreamStatusParams produce realistic
// webhook bodies:
//
//	req := twiliotest.NewFormRequest(token, "https://calls.example.com/voice",
//		twiliotest.VoiceParams(acct, "CA123", "+15550001111", "+15550002222"))
//	rec := httptest.NewRecorder()
//	twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com"}.
//		Middleware(handler).ServeHTTP(rec, req)
//
// # Fake REST API
//
// NewServer starts an httptest server answering CreateStream, UpdateStream,
// UpdateCall and FetchCall with Twilio's JSON shapes and error payloads
// ({"code":20404,"message":…,"more_info":…,"status":404}). It checks Basic
// auth (20003), keeps call state (in-progress / completed, at most four
// in-progress streams per call, streams stopped when the call ends), records
// every request (Requests) and injects failures (FailNext).
//
// Server.Client returns a real *twilio.RestClient pointed at the fake. For
// other clients use twiml.NewRestClient with BaseURL set to Server.URL, or
// give an *http.Client the Transport (twiml.RewriteTransport), which
// rewrites requests for *.twilio.com to the fake and refuses every other
// host.
//
//	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
//	defer srv.Close()
//	call := srv.AddCall(twiliotest.Call{From: "+15550001111", To: "+15550002222"})
//	sid, err := twiml.Streams{Client: srv.Client()}.Start(ctx, call.Sid,
//		twiml.StreamOptions{Name: "callguard", URL: "wss://media.example.com/stream"})
package twiliotest
