package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/callguard/callguard/examples/server/internal/store"
)

func Example() {
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:", nil) // migrates on open
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	d, err := st.CreateDetection(ctx, store.Detection{CallSid: "CA123", Track: "inbound"})
	if err != nil {
		log.Fatal(err)
	}
	// A second live detection of the same call and track is refused.
	_, err = st.CreateDetection(ctx, store.Detection{CallSid: "CA123", Track: "inbound"})
	fmt.Println("double start conflicts:", errors.Is(err, store.ErrConflict))

	v := store.Verdict{DetectionID: d.ID, WindowStart: 0, WindowEnd: 2 * time.Second, Label: "fake", Score: 0.93}
	_, created, _ := st.InsertVerdict(ctx, v)
	fmt.Println("first insert created:", created)
	_, created, _ = st.InsertVerdict(ctx, v) // a retry
	fmt.Println("retry created:", created)

	d, _ = st.UpdateDetection(ctx, d.ID, store.DetectionUpdate{Status: store.DetectionStopped})
	fmt.Println("status:", d.Status)
	// Output:
	// double start conflicts: true
	// first insert created: true
	// retry created: false
	// status: stopped
}

func ExampleHashToken() {
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	token, hash := store.NewToken() // show token once; keep only the hash
	if _, err := st.CreateAPIToken(ctx, store.APIToken{Name: "ops", Hash: hash}); err != nil {
		log.Fatal(err)
	}
	// On each request: hash the presented bearer token and look it up.
	t, err := st.APITokenByHash(ctx, store.HashToken(token))
	fmt.Println(t.Name, err)
	_, err = st.APITokenByHash(ctx, store.HashToken("guess"))
	fmt.Println(errors.Is(err, store.ErrNotFound))
	// Output:
	// ops <nil>
	// true
}
