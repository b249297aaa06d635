// Package app composes the callguard server: configuration, store,
// detector, Twilio client, pipeline, event hub, HTTP routes and graceful
// shutdown. New returns a Server whose Handler can be served by net/http or
// httptest:
//
//	srv, err := app.New(ctx, app.Options{Config: cfg, Store: st, Logger: log})
//	hs := &http.Server{Addr: cfg.Addr(), Handler: srv.Handler()}
//	go hs.ListenAndServe()
//	<-ctx.Done()
//	go hs.Shutdown(sctx)
//	srv.Shutdown(sctx) // finish live streams, deliver the last events, flush webhooks
//
// The detector is Resemble when RESEMBLE_API_KEY is set and the
// in-process fake (detect/resembletest) otherwise; every verdict and
// detection then says simulated. Options.Twilio and Options.Detector
// override what Config selects, which is how tests run the whole server
// against twiml/twiliotest and detect/resembletest. On PostgreSQL,
// Options.Fanout = PGFanout(dsn, log) carries events between replicas.
//
// The Twilio endpoints live here (twilio.go): the voice webhook answers
// TwiML from a per-number policy over the numbers table, the stream status
// callback records stream states and errors, the call status callback
// (callstatus.go) records the call's status and end and ends its open
// detections, and the media endpoint hands each signed WebSocket to the
// pipeline. All of them check the Twilio signature and answer problem+json. Actions on alerts (notify,
// announce, redirect, hangup) go through twiml.Calls.
package app
