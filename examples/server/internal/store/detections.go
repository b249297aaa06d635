package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const detectionCols = `id, call_sid, track, status, stream_sid, simulated, window_ms, hop_ms,
	started_at, stopped_at, summary, error, updated_at`

func scanDetection(r rowScanner) (Detection, error) {
	var d Detection
	var windowMs, hopMs int64
	err := r.Scan(&d.ID, &d.CallSid, &d.Track, &d.Status, &d.StreamSid, &d.Simulated, &windowMs, &hopMs,
		dbTime{&d.StartedAt}, dbTime{&d.StoppedAt}, dbJSON{&d.Summary}, &d.Error, dbTime{&d.UpdatedAt})
	d.Window = time.Duration(windowMs) * time.Millisecond
	d.Hop = time.Duration(hopMs) * time.Millisecond
	return d, err
}

func validStatus(st DetectionStatus) bool {
	switch st {
	case DetectionStarting, DetectionActive, DetectionStopped, DetectionFailed:
		return true
	}
	return false
}

// CreateDetection implements Store.
func (s *sqlStore) CreateDetection(ctx context.Context, d Detection) (Detection, error) {
	switch {
	case d.CallSid == "":
		return Detection{}, invalid("call sid", "empty")
	case d.Track == "":
		return Detection{}, invalid("track", "empty")
	case d.Window < 0 || d.Hop < 0:
		return Detection{}, invalid("window", "negative duration")
	}
	if d.Status == "" {
		d.Status = DetectionStarting
	}
	if d.Status != DetectionStarting && d.Status != DetectionActive {
		return Detection{}, invalid("detection status", fmt.Sprintf("a new detection cannot be %q", d.Status))
	}
	if err := checkJSON("detection summary", d.Summary); err != nil {
		return Detection{}, err
	}
	if d.ID == "" {
		d.ID = newID("det_")
	}
	now := s.nowUTC()
	if d.StartedAt.IsZero() {
		d.StartedAt = now
	}
	var out Detection
	err := s.inTx(ctx, func(tx querier) error {
		if err := s.ensureCall(ctx, tx, d.CallSid); err != nil {
			return err
		}
		// DO NOTHING covers both the primary key and the partial unique
		// index on live detections; which one fired is decided below.
		res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO detections
			(id, call_sid, track, status, stream_sid, simulated, window_ms, hop_ms, started_at, summary, error, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			d.ID, d.CallSid, d.Track, string(d.Status), d.StreamSid, d.Simulated,
			d.Window.Milliseconds(), d.Hop.Milliseconds(), s.tv(d.StartedAt), jv(d.Summary), d.Error, s.tv(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			out, err = scanDetection(tx.QueryRowContext(ctx, s.rebind(`SELECT `+detectionCols+` FROM detections WHERE id = ?`), d.ID))
			return err
		}
		// Not inserted: a retry of this very call that had committed, a
		// live detection of the same call and track, or a reused ID.
		existing, err := scanDetection(tx.QueryRowContext(ctx, s.rebind(`SELECT `+detectionCols+` FROM detections WHERE id = ?`), d.ID))
		switch {
		case err == nil && existing.CallSid == d.CallSid && existing.Track == d.Track && existing.StartedAt.Equal(normTime(d.StartedAt)):
			out = existing
			return nil
		case err == nil:
			return &ConflictError{What: "detection", Existing: existing.ID, Reason: "id already used"}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		live, err := scanDetection(tx.QueryRowContext(ctx, s.rebind(`SELECT `+detectionCols+` FROM detections
			WHERE call_sid = ? AND track = ? AND status IN ('starting', 'active')`), d.CallSid, d.Track))
		if err != nil {
			return err
		}
		return &ConflictError{What: "detection", Existing: live.ID,
			Reason: fmt.Sprintf("call %s track %s already has a %s detection", d.CallSid, d.Track, live.Status)}
	})
	if err != nil {
		return Detection{}, fmt.Errorf("store: create detection: %w", err)
	}
	return out, nil
}

// GetDetection implements Store.
func (s *sqlStore) GetDetection(ctx context.Context, id string) (Detection, error) {
	return s.getDetection(ctx, `WHERE id = ?`, "detection "+id, id)
}

// ActiveDetection implements Store.
func (s *sqlStore) ActiveDetection(ctx context.Context, callSid, track string) (Detection, error) {
	return s.getDetection(ctx, `WHERE call_sid = ? AND track = ? AND status IN ('starting', 'active')`,
		"live detection of "+callSid+" "+track, callSid, track)
}

func (s *sqlStore) getDetection(ctx context.Context, where, what string, args ...any) (Detection, error) {
	var d Detection
	err := s.read(ctx, func(q querier) error {
		var err error
		d, err = scanDetection(q.QueryRowContext(ctx, s.rebind(`SELECT `+detectionCols+` FROM detections `+where), args...))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Detection{}, fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Detection{}, fmt.Errorf("store: get %s: %w", what, err)
	}
	return d, nil
}

// allowedFrom lists the statuses a detection may move to "to" from.
func allowedFrom(to DetectionStatus) []any {
	switch to {
	case DetectionStarting:
		return []any{string(DetectionStarting)}
	case DetectionActive, DetectionStopped, DetectionFailed:
		return []any{string(DetectionStarting), string(DetectionActive)}
	}
	return nil
}

// UpdateDetection implements Store.
func (s *sqlStore) UpdateDetection(ctx context.Context, id string, u DetectionUpdate) (Detection, error) {
	if !validStatus(u.Status) {
		return Detection{}, invalid("detection status", fmt.Sprintf("%q", u.Status))
	}
	if err := checkJSON("detection summary", u.Summary); err != nil {
		return Detection{}, err
	}
	now := s.nowUTC()
	at := u.At
	if at.IsZero() {
		at = now
	}
	var stopped any
	if u.Status.Terminal() {
		stopped = s.tv(at)
	}
	from := allowedFrom(u.Status)
	var out Detection
	err := s.inTx(ctx, func(tx querier) error {
		// A conditional update makes the transition atomic on both
		// backends without row locks.
		args := []any{string(u.Status), u.StreamSid, jv(u.Summary), u.Error, stopped, s.tv(now), id}
		args = append(args, from...)
		d, err := scanDetection(tx.QueryRowContext(ctx, s.rebind(`UPDATE detections SET
				status     = ?,
				stream_sid = COALESCE(NULLIF(?, ''), stream_sid),
				summary    = COALESCE(?, summary),
				error      = COALESCE(NULLIF(?, ''), error),
				stopped_at = COALESCE(?, stopped_at),
				updated_at = ?
			WHERE id = ? AND status IN (?`+repeatParams(len(from)-1)+`)
			RETURNING `+detectionCols), args...))
		if err == nil {
			out = d
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur, err := s.detectionStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		return &TransitionError{ID: id, From: cur, To: u.Status}
	})
	if err != nil {
		return Detection{}, fmt.Errorf("store: update detection: %w", err)
	}
	return out, nil
}

// SetDetectionSummary implements Store.
func (s *sqlStore) SetDetectionSummary(ctx context.Context, id string, summary json.RawMessage) (Detection, error) {
	if len(summary) == 0 {
		return Detection{}, invalid("detection summary", "empty")
	}
	if err := checkJSON("detection summary", summary); err != nil {
		return Detection{}, err
	}
	var out Detection
	err := s.inTx(ctx, func(tx querier) error {
		d, err := scanDetection(tx.QueryRowContext(ctx, s.rebind(`UPDATE detections SET summary = ?, updated_at = ?
			WHERE id = ? AND status IN ('stopped', 'failed')
			RETURNING `+detectionCols), jv(summary), s.tv(s.nowUTC()), id))
		if err == nil {
			out = d
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur, err := s.detectionStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		return &ConflictError{What: "detection summary", Existing: id,
			Reason: fmt.Sprintf("detection is %s; its summary is stored when it ends", cur)}
	})
	if err != nil {
		return Detection{}, fmt.Errorf("store: set detection summary: %w", err)
	}
	return out, nil
}

// detectionStatus returns the status of detection id as tx sees it, or
// an error wrapping ErrNotFound when there is no such detection. The
// updates use it to say why their conditional UPDATE matched no row.
func (s *sqlStore) detectionStatus(ctx context.Context, tx querier, id string) (DetectionStatus, error) {
	var cur string
	err := tx.QueryRowContext(ctx, s.rebind(`SELECT status FROM detections WHERE id = ?`), id).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("detection %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return DetectionStatus(cur), nil
}

// repeatParams returns n copies of ", ?".
func repeatParams(n int) string {
	b := make([]byte, 0, 3*n)
	for range n {
		b = append(b, ", ?"...)
	}
	return string(b)
}

// ListDetections implements Store.
func (s *sqlStore) ListDetections(ctx context.Context, f DetectionFilter, page PageRequest) (Page[Detection], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[Detection]{}, err
	}
	if f.Status != "" && !validStatus(f.Status) {
		return Page[Detection]{}, invalid("detection status", fmt.Sprintf("%q", f.Status))
	}
	where, args := "WHERE 1 = 1", []any{}
	for _, c := range []struct{ col, v string }{
		{"call_sid", f.CallSid}, {"stream_sid", f.StreamSid}, {"track", f.Track}, {"status", string(f.Status)},
	} {
		if c.v != "" {
			where += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 2)
		if err != nil {
			return Page[Detection]{}, err
		}
		t, err := s.cursorTime(k[0])
		if err != nil {
			return Page[Detection]{}, err
		}
		where += " AND (started_at < ? OR (started_at = ? AND id < ?))"
		args = append(args, t, t, k[1])
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+detectionCols+` FROM detections `+where+
		` ORDER BY started_at DESC, id DESC LIMIT ?`, args, scanDetection)
	if err != nil {
		return Page[Detection]{}, fmt.Errorf("store: list detections: %w", err)
	}
	return pageOf(items, limit, func(d Detection) string { return encodeCursor(timeKey(d.StartedAt), d.ID) }), nil
}
