package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/app"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/internal/pgtest"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// twoReplicas starts two servers on one PostgreSQL schema, each with its
// pgnotify bridge (skipped without CALLGUARD_TEST_DATABASE_URL).
func twoReplicas(t *testing.T) (a, b *env) {
	dsn := pgtest.SchemaDSN(t, "cgserver_")
	a = newEnv(t, envOptions{dsn: dsn, fanout: app.PGFanout(dsn, quietLogger())})
	b = newEnv(t, envOptions{dsn: dsn, fanout: app.PGFanout(dsn, quietLogger())})
	return a, b
}

// Two replicas on one PostgreSQL database: a watcher connected to A sees
// the verdicts of a call streamed into B, once each, with the IDs B stored.
func TestTwoReplicasPostgres(t *testing.T) {
	a, b := twoReplicas(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	call := b.tw.AddCall(twiliotest.Call{From: "+14155550100", To: "+14155550199"})
	wa := a.watch("?call=" + call.Sid)
	c := b.dial(ctx, call.Sid)
	if err := c.SendPCM(ctx, "inbound", speech(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendPCM(ctx, "inbound", fake(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	vs, err := b.st.ListVerdicts(ctx, store.VerdictFilter{CallSid: call.Sid}, store.PageRequest{})
	if err != nil || len(vs.Items) != 4 {
		t.Fatalf("verdicts on B: %v %d", err, len(vs.Items))
	}
	evs := wa.waitFor(t, "B's verdicts on A", func(evs []notify.Event) bool {
		return countType(evs, notify.TypeVerdict) >= len(vs.Items) && countType(evs, notify.TypeCallEnded) >= 1
	})
	ids := map[int64]int{}
	for _, ev := range evs {
		if ev.Type != notify.TypeVerdict {
			continue
		}
		var v view.Verdict
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			t.Fatal(err)
		}
		ids[v.ID]++
	}
	for _, v := range vs.Items {
		if ids[v.ID] != 1 {
			t.Errorf("verdict %d reached A's watcher %d times", v.ID, ids[v.ID])
		}
	}
	if a.srv.ActiveStreams() != 0 || len(ids) != len(vs.Items) {
		t.Fatalf("A saw %d verdicts, want %d", len(ids), len(vs.Items))
	}
	// A's API reads the same database.
	resp, body := a.do("GET", "/v1/calls/"+call.Sid, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("A: get call: %s %s", resp.Status, body)
	}
}

// Twilio's call-status callback for a finished call reaching replica A while
// the call's stream is live on replica B: A ends the detection and emits
// call.ended at once, without a summary; B emits a second call.ended for the
// same detection, with the final summary, when the stream closes (as
// view.CallEnded and the README say), and stores that summary.
func TestCallEndedOnOtherReplica(t *testing.T) {
	a, b := twoReplicas(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	call := b.tw.AddCall(twiliotest.Call{})
	c, det := b.streamSpeech(ctx, call.Sid)
	defer c.Close()

	resp, body := a.twilioForm(app.CallStatusPath, callStatusParams(a.tw.AccountSid(), call.Sid, "completed", time.Time{}), a.authToken)
	if resp.StatusCode != 204 {
		t.Fatalf("completed on A: %s %s", resp.Status, body)
	}
	ce := a.callEndedEvents(call.Sid)
	if len(ce) != 1 || ce[0].DetectionID != det.ID || len(ce[0].Summary) != 0 || ce[0].Reason != "call completed" {
		t.Fatalf("call.ended after A ended the call: %+v", ce)
	}

	// Twilio closes the stream; B finishes the session it holds.
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "B's call.ended", func() bool { return len(a.callEndedEvents(call.Sid)) == 2 })
	ce = a.callEndedEvents(call.Sid)
	if ce[1].DetectionID != det.ID || len(ce[1].Summary) == 0 || ce[1].Status != "stopped" {
		t.Fatalf("second call.ended %+v", ce[1])
	}
	d, err := a.st.GetDetection(ctx, det.ID)
	if err != nil || d.Status != store.DetectionStopped || len(d.Summary) == 0 {
		t.Fatalf("detection after both replicas ended it: %+v %v", d, err)
	}
}
