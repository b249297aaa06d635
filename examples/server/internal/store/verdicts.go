package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

const verdictCols = `id, detection_id, call_sid, track, window_start_ms, window_end_ms, label, score,
	vendor, vendor_id, latency_ms, simulated, error, raw, created_at`

func scanVerdict(r rowScanner) (Verdict, error) {
	var v Verdict
	var startMs, endMs, latMs int64
	err := r.Scan(&v.ID, &v.DetectionID, &v.CallSid, &v.Track, &startMs, &endMs, &v.Label, &v.Score,
		&v.Vendor, &v.VendorID, &latMs, &v.Simulated, &v.Err, dbJSON{&v.Raw}, dbTime{&v.CreatedAt})
	v.WindowStart = time.Duration(startMs) * time.Millisecond
	v.WindowEnd = time.Duration(endMs) * time.Millisecond
	v.Latency = time.Duration(latMs) * time.Millisecond
	return v, err
}

// InsertVerdict implements Store.
func (s *sqlStore) InsertVerdict(ctx context.Context, v Verdict) (Verdict, bool, error) {
	switch {
	case v.DetectionID == "":
		return Verdict{}, false, invalid("detection id", "empty")
	case v.WindowStart < 0 || v.WindowEnd < v.WindowStart:
		return Verdict{}, false, invalid("window", fmt.Sprintf("[%v, %v] is not a window", v.WindowStart, v.WindowEnd))
	case v.Label == "":
		return Verdict{}, false, invalid("label", "empty")
	case math.IsNaN(v.Score) || math.IsInf(v.Score, 0):
		return Verdict{}, false, invalid("score", "not a finite number")
	case v.Latency < 0:
		return Verdict{}, false, invalid("latency", "negative")
	}
	if err := checkJSON("verdict raw", v.Raw); err != nil {
		return Verdict{}, false, err
	}
	created := v.CreatedAt
	if created.IsZero() {
		created = s.nowUTC()
	}
	var (
		out   Verdict
		isNew bool
	)
	// Batched with other verdicts and events (group commit); the batch's
	// ctx shadows the caller's inside.
	err := s.batch.do(ctx, func(ctx context.Context, tx querier) error {
		var callSid, track string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT call_sid, track FROM detections WHERE id = ?`), v.DetectionID).
			Scan(&callSid, &track)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("detection %s: %w", v.DetectionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if v.CallSid != "" && v.CallSid != callSid {
			return invalid("call sid", fmt.Sprintf("detection %s belongs to call %s, not %s", v.DetectionID, callSid, v.CallSid))
		}
		if v.Track != "" && v.Track != track {
			return invalid("track", fmt.Sprintf("detection %s is on track %s, not %s", v.DetectionID, track, v.Track))
		}
		out, err = scanVerdict(tx.QueryRowContext(ctx, s.rebind(`INSERT INTO verdicts
			(detection_id, call_sid, track, window_start_ms, window_end_ms, label, score,
			 vendor, vendor_id, latency_ms, simulated, error, raw, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (detection_id, window_start_ms) DO NOTHING
			RETURNING `+verdictCols),
			v.DetectionID, callSid, track, v.WindowStart.Milliseconds(), v.WindowEnd.Milliseconds(), v.Label, v.Score,
			v.Vendor, v.VendorID, v.Latency.Milliseconds(), v.Simulated, v.Err, jv(v.Raw), s.tv(created)))
		if err == nil {
			isNew = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		isNew = false
		out, err = scanVerdict(tx.QueryRowContext(ctx, s.rebind(`SELECT `+verdictCols+` FROM verdicts
			WHERE detection_id = ? AND window_start_ms = ?`), v.DetectionID, v.WindowStart.Milliseconds()))
		return err
	})
	if err != nil {
		return Verdict{}, false, fmt.Errorf("store: insert verdict: %w", err)
	}
	return out, isNew, nil
}

// ListVerdicts implements Store.
func (s *sqlStore) ListVerdicts(ctx context.Context, f VerdictFilter, page PageRequest) (Page[Verdict], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[Verdict]{}, err
	}
	where, args := "WHERE 1 = 1", []any{}
	for _, c := range []struct{ col, v string }{
		{"detection_id", f.DetectionID}, {"call_sid", f.CallSid}, {"label", f.Label},
	} {
		if c.v != "" {
			where += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 1)
		if err != nil {
			return Page[Verdict]{}, err
		}
		after, err := strconv.ParseInt(k[0], 10, 64)
		if err != nil {
			return Page[Verdict]{}, invalid("cursor", "malformed")
		}
		where += " AND id > ?"
		args = append(args, after)
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+verdictCols+` FROM verdicts `+where+` ORDER BY id LIMIT ?`, args, scanVerdict)
	if err != nil {
		return Page[Verdict]{}, fmt.Errorf("store: list verdicts: %w", err)
	}
	return pageOf(items, limit, func(v Verdict) string { return encodeCursor(strconv.FormatInt(v.ID, 10)) }), nil
}
