package pgnotify_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/notify/pgnotify"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Each replica runs a Hub fed by a Bridge; the pipeline publishes to the
// Bridge, so watchers of every replica see every event.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	hub := notify.NewHub(notify.HubOptions{})
	defer hub.Close()
	bridge, err := pgnotify.New(pool, hub, pgnotify.Options{Backfill: 100})
	if err != nil {
		log.Fatal(err)
	}
	if err := bridge.CreateSchema(ctx); err != nil {
		log.Fatal(err)
	}
	go bridge.Run(ctx)

	http.HandleFunc("GET /events", hub.ServeSSE)
	e, _ := notify.NewEvent(notify.TypeAlert, "CA123", map[string]any{"score": 0.98})
	if err := bridge.Notify(ctx, e); err != nil {
		log.Print(err)
	}
}

// Schema is plain SQL for migrations (e.g. a goose migration's Up);
// SchemaFor quotes another table name into it.
func ExampleSchemaFor() {
	migration := pgnotify.SchemaFor("app.callguard_events")
	first, _, _ := strings.Cut(migration, "\n")
	fmt.Println(first)
	// Output:
	// CREATE TABLE IF NOT EXISTS "app"."callguard_events" (
}
