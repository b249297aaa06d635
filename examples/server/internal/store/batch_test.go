package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// gated holds s's batcher before each batch until the test lets it go.
func gated(t *testing.T, st Store) (*sqlStore, chan struct{}) {
	t.Helper()
	s := st.(*sqlStore)
	gate := make(chan struct{})
	s.batch.gate = gate // before the first batched write starts the loop
	return s, gate
}

// waitQueued waits until n writes are queued in front of the batcher.
func waitQueued(t *testing.T, s *sqlStore, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.batch.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", len(s.batch.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommit(t *testing.T) {
	for b, open := range backends() {
		t.Run(string(b), func(t *testing.T) {
			st := open(t, nil)
			s, gate := gated(t, st)
			d := newDetection(t, st, "CA1")
			const n = 40 // verdicts and events, alternately
			errs := make([]error, n+2)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						_, _, errs[i] = s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
							WindowEnd: time.Duration(i+1) * time.Second, Label: "real", Score: 0.1})
					} else {
						_, _, errs[i] = s.AppendEvent(ctx, Event{Type: "verdict", CallSid: "CA1", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))})
					}
				}()
			}
			// A verdict for a detection that does not exist fails alone.
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[n] = s.InsertVerdict(ctx, Verdict{DetectionID: "ds_missing", WindowEnd: time.Second, Label: "real"})
			}()
			// A caller that gives up while queued is not written.
			gone, cancel := context.WithCancel(ctx)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[n+1] = s.InsertVerdict(gone, Verdict{DetectionID: d.ID, WindowStart: 999 * time.Second,
					WindowEnd: 1000 * time.Second, Label: "fake", Score: 1})
			}()
			waitQueued(t, s, n+2)
			cancel()
			close(gate)
			wg.Wait()

			for i, err := range errs[:n] {
				if err != nil {
					t.Errorf("write %d: %v", i, err)
				}
			}
			mustErr(t, errs[n], ErrNotFound)
			if !errors.Is(errs[n+1], context.Canceled) {
				t.Errorf("cancelled write: err = %v", errs[n+1])
			}
			// Every worker may take part of the queue when the gate opens.
			if got := s.batch.batches.Load(); got < 1 || got > int64(s.batch.workers) {
				t.Errorf("%d batches for %d queued writes, want 1 to %d", got, n+2, s.batch.workers)
			}
			vs := must[Page[Verdict]](t)(st.ListVerdicts(ctx, VerdictFilter{DetectionID: d.ID}, PageRequest{Limit: 100}))
			if len(vs.Items) != n/2 {
				t.Errorf("%d verdicts stored, want %d", len(vs.Items), n/2)
			}
			for _, v := range vs.Items {
				if v.WindowStart == 999*time.Second {
					t.Error("the cancelled caller's verdict was stored")
				}
			}
			es := must[Page[Event]](t)(st.ListEvents(ctx, EventFilter{CallSid: "CA1"}, PageRequest{Limit: 100}))
			if len(es.Items) != n/2 {
				t.Errorf("%d events stored, want %d", len(es.Items), n/2)
			}
		})
	}
}

func TestGroupCommitClose(t *testing.T) {
	st := openSQLiteTest(t, nil)
	s, _ := gated(t, st)
	d := newDetection(t, st, "CA1")
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
				WindowEnd: time.Duration(i+1) * time.Second, Label: "real"})
			errs <- err
		}()
	}
	waitQueued(t, s, 3)
	s.batch.close() // what Close does first; the gate is never opened
	for range 3 {
		if err := <-errs; !errors.Is(err, errStoreClosed) {
			t.Errorf("queued write at close: err = %v, want errStoreClosed", err)
		}
	}
	if _, _, err := s.AppendEvent(ctx, Event{Type: "x"}); !errors.Is(err, errStoreClosed) {
		t.Errorf("write after close: err = %v", err)
	}
}

// TestSQLiteWritesArePrepared checks that the hot writes end up served by
// prepared statements: first seen, then prepared before the next write.
func TestSQLiteWritesArePrepared(t *testing.T) {
	st := openSQLiteTest(t, nil)
	s := st.(*sqlStore)
	d := newDetection(t, st, "CA1")
	for i := range 3 {
		if _, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
			WindowEnd: time.Duration(i+1) * time.Second, Label: "real"}); err != nil {
			t.Fatal(err)
		}
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if len(s.stmts.m) < 2 || len(s.stmts.want) != 0 {
		t.Errorf("%d prepared, %d waiting; want the verdict insert's statements prepared", len(s.stmts.m), len(s.stmts.want))
	}
}
