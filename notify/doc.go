// Package notify delivers call events (a verdict that the voice on a call
// is synthetic, an alert, a call starting or ending) to whoever watches:
// browsers, agents' screens, customers' backends. Publishing never waits
// on a watcher.
//
// An Event has an increasing ID, a Type (TypeVerdict, TypeAlert, …), the
// call it is about and JSON Data. Anything that takes events is a
// Notifier; Multi fans one event out to several and NotifierFunc adapts a
// function.
//
// A Hub is a Notifier and two http.Handlers:
//
//	hub := notify.NewHub(notify.HubOptions{
//		Authorize: func(r *http.Request) (notify.Filter, error) {
//			// check a token; restrict the watcher to its calls
//			return notify.Filter{CallSids: callsOf(r)}, nil
//		},
//	})
//	defer hub.Close()
//	mux.HandleFunc("GET /events", hub.ServeSSE) // text/event-stream
//	mux.HandleFunc("GET /ws", hub.ServeWS)      // JSON over WebSocket
//	hub.Notify(ctx, ev)
//
// Watchers choose events with ?call=CA…&type=verdict,alert. Every watcher
// has a bounded queue: one that falls behind is cut off (SSE stream ended,
// WebSocket closed with 1008 "slow consumer") while the others carry on,
// and it resumes where it stopped with Last-Event-ID (EventSource sends it
// by itself; WebSocket clients pass ?last_event_id=). The Hub replays from
// a bounded history and sends a TypeGap event first when the events after
// that ID are no longer all in it.
//
// A Webhook is a Notifier that POSTs events as JSON, signed in the
// Callguard-Signature header with HMAC-SHA256 over timestamp and body;
// receivers check it with VerifySignature. It retries with backoff, keeps
// a bounded queue per endpoint and counts what it drops.
//
// With several server replicas, package pgnotify carries events between
// them through PostgreSQL and numbers them so that IDs agree everywhere.
package notify
