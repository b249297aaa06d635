// Package pgnotify carries callguard events between server replicas
// through PostgreSQL, so that a watcher connected to any replica sees the
// events published on every replica, once each and in one order.
//
// A Bridge is a notify.Notifier. Its Notify inserts the event into a table
// (id bigserial: the event ID every replica agrees on) and NOTIFYs the ID
// (NOTIFY payloads are limited to 8000 bytes; events are not). Run listens
// on a dedicated connection and passes every stored event to the local
// Notifier, usually the replica's *notify.Hub, in ID order:
//
//	hub := notify.NewHub(notify.HubOptions{})
//	bridge, err := pgnotify.New(pool, hub, pgnotify.Options{})
//	if err != nil { … }
//	if err := bridge.CreateSchema(ctx); err != nil { … } // or run pgnotify.Schema in migrations
//	go bridge.Run(ctx)
//	// the pipeline publishes to the bridge, never to the hub directly:
//	detectOptions.OnVerdict = func(v detect.Verdict) { bridge.Notify(ctx, verdictEvent(v)) }
//
// When the listening connection drops, Run reconnects with backoff and
// reads every event stored meanwhile by ID before listening again, so a
// replica's watchers miss nothing across the gap. Rows older than
// Options.Retention are pruned.
package pgnotify
