package pipeline

import (
	"context"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/notify"
)

// VerdictView converts a session verdict into its API shape.
func VerdictView(d store.Detection, v detect.Verdict, id int64, simulated bool) view.Verdict {
	return view.Verdict{ID: id, DetectionID: d.ID, CallSid: d.CallSid, Track: d.Track, Index: v.Index,
		StartMs: v.Start.Milliseconds(), EndMs: v.End.Milliseconds(), Label: string(v.Label), Score: v.Score,
		Vendor: v.Vendor, VendorID: v.ID, LatencyMs: v.Latency.Milliseconds(), Simulated: simulated, Error: v.Err,
		DecidedAt: v.Decided.UTC()}
}

func (m *Manager) onVerdict(ctx context.Context, tr *track, v detect.Verdict) {
	pctx, cancel := m.persistCtx(ctx)
	defer cancel()
	sv, created, err := m.o.Store.InsertVerdict(pctx, store.Verdict{DetectionID: tr.detection.ID,
		CallSid: tr.detection.CallSid, Track: tr.name, WindowStart: v.Start, WindowEnd: v.End,
		Label: string(v.Label), Score: v.Score, Vendor: v.Vendor, VendorID: v.ID, Latency: v.Latency,
		Simulated: m.o.Simulated, Err: v.Err, Raw: v.Raw})
	if err != nil {
		m.countErr("store")
		tr.log.Error("storing verdict failed", "window", v.Index, "err", err)
		return
	}
	tr.idsMu.Lock()
	tr.ids[v.Index] = sv.ID
	tr.idsMu.Unlock()
	if m.o.Metrics != nil {
		m.o.Metrics.Verdicts.WithLabelValues(string(v.Label)).Inc()
		if v.Label == detect.Real || v.Label == detect.Fake {
			m.o.Metrics.VendorLatency.WithLabelValues(v.Vendor).Observe(v.Latency.Seconds())
		}
		if v.Label == detect.Unknown {
			m.o.Metrics.Errors.WithLabelValues("vendor").Inc()
		}
	}
	tr.log.Debug("verdict", "window", v.Index, "label", string(v.Label), "score", v.Score)
	if created {
		m.o.Publish(pctx, notify.TypeVerdict, tr.detection.CallSid, VerdictView(tr.detection, v, sv.ID, m.o.Simulated))
	}
}

func (m *Manager) onAlert(ctx context.Context, tr *track, a detect.Alert) {
	pctx, cancel := m.persistCtx(ctx)
	defer cancel()
	var ids []int64
	tr.idsMu.Lock()
	for _, ev := range a.Evidence {
		if id, ok := tr.ids[ev.Index]; ok {
			ids = append(ids, id)
		}
	}
	tr.idsMu.Unlock()
	action, actErr := store.ActionNotify, error(nil)
	if m.o.Act != nil {
		action, actErr = m.o.Act(pctx, tr.detection.CallSid)
	}
	rec := store.ActionRecord{CallSid: tr.detection.CallSid, DetectionID: tr.detection.ID, Action: action,
		Status: store.ActionDone, VerdictIDs: ids}
	if actErr != nil {
		rec.Status, rec.Error = store.ActionFailed, actErr.Error()
	}
	if _, err := m.o.Store.RecordAction(pctx, rec); err != nil {
		m.countErr("store")
		tr.log.Error("recording action failed", "err", err)
	}
	if m.o.Metrics != nil {
		m.o.Metrics.Alerts.Inc()
		m.o.Metrics.Actions.WithLabelValues(string(rec.Action), string(rec.Status)).Inc()
	}
	tr.log.Warn("synthetic voice alert", "reason", a.Reason, "score", a.Score, "action", string(action),
		"action_status", string(rec.Status), "action_err", rec.Error)
	m.o.Publish(pctx, notify.TypeAlert, tr.detection.CallSid, view.Alert{DetectionID: tr.detection.ID,
		CallSid: tr.detection.CallSid, Track: tr.name, Reason: a.Reason, Score: a.Score,
		StartMs: a.Start.Milliseconds(), EndMs: a.End.Milliseconds(), Action: string(action),
		ActionState: string(rec.Status), VerdictIDs: ids, Simulated: m.o.Simulated})
}
