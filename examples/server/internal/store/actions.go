package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

const actionCols = `id, call_sid, detection_id, action, status, error, created_at`

func scanAction(r rowScanner) (ActionRecord, error) {
	var a ActionRecord
	var det sql.NullString
	err := r.Scan(&a.ID, &a.CallSid, &det, &a.Action, &a.Status, &a.Error, dbTime{&a.CreatedAt})
	a.DetectionID = det.String
	return a, err
}

// RecordAction implements Store.
func (s *sqlStore) RecordAction(ctx context.Context, a ActionRecord) (ActionRecord, error) {
	if a.CallSid == "" {
		return ActionRecord{}, invalid("call sid", "empty")
	}
	if !a.Action.Valid() {
		return ActionRecord{}, invalid("action", fmt.Sprintf("%q is not notify, announce, redirect or hangup", a.Action))
	}
	switch a.Status {
	case "":
		a.Status = ActionDone
	case ActionDone, ActionFailed:
	default:
		return ActionRecord{}, invalid("action status", fmt.Sprintf("%q", a.Status))
	}
	if a.ID == "" {
		a.ID = newID("act_")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.nowUTC()
	}
	ids := slices.Clone(a.VerdictIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var det any
	if a.DetectionID != "" {
		det = a.DetectionID
	}
	var out ActionRecord
	err := s.inTx(ctx, func(tx querier) error {
		if a.DetectionID != "" {
			var x int
			err := tx.QueryRowContext(ctx, s.rebind(`SELECT 1 FROM detections WHERE id = ?`), a.DetectionID).Scan(&x)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("detection %s: %w", a.DetectionID, ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			var n int
			err := tx.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM verdicts WHERE id IN (?`+repeatParams(len(ids)-1)+`)`),
				args...).Scan(&n)
			if err != nil {
				return err
			}
			if n != len(ids) {
				return fmt.Errorf("%d of %d verdicts: %w", len(ids)-n, len(ids), ErrNotFound)
			}
		}
		if err := s.ensureCall(ctx, tx, a.CallSid); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO actions (`+actionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`),
			a.ID, a.CallSid, det, string(a.Action), string(a.Status), a.Error, s.tv(a.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			for _, id := range ids {
				if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO action_verdicts (action_id, verdict_id) VALUES (?, ?)`),
					a.ID, id); err != nil {
					return err
				}
			}
		}
		got, err := s.loadActions(ctx, tx, `WHERE a.id = ?`, a.ID)
		if err != nil {
			return err
		}
		out = got[0]
		return nil
	})
	if err != nil {
		return ActionRecord{}, fmt.Errorf("store: record action: %w", err)
	}
	return out, nil
}

// loadActions reads actions with their verdict IDs.
func (s *sqlStore) loadActions(ctx context.Context, q querier, where string, args ...any) ([]ActionRecord, error) {
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT a.id, a.call_sid, a.detection_id, a.action, a.status, a.error,
		a.created_at, av.verdict_id
		FROM actions a LEFT JOIN action_verdicts av ON av.action_id = a.id `+where+`
		ORDER BY a.created_at, a.id, av.verdict_id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ActionRecord{}
	for rows.Next() {
		var (
			a   ActionRecord
			det sql.NullString
			vid sql.NullInt64
		)
		if err := rows.Scan(&a.ID, &a.CallSid, &det, &a.Action, &a.Status, &a.Error, dbTime{&a.CreatedAt}, &vid); err != nil {
			return nil, err
		}
		a.DetectionID = det.String
		if n := len(out); n == 0 || out[n-1].ID != a.ID {
			a.VerdictIDs = []int64{}
			out = append(out, a)
		}
		if vid.Valid {
			last := &out[len(out)-1]
			last.VerdictIDs = append(last.VerdictIDs, vid.Int64)
		}
	}
	return out, rows.Err()
}

// ListActions implements Store.
func (s *sqlStore) ListActions(ctx context.Context, callSid string) ([]ActionRecord, error) {
	var out []ActionRecord
	err := s.read(ctx, func(q querier) error {
		var err error
		out, err = s.loadActions(ctx, q, `WHERE a.call_sid = ?`, callSid)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list actions of %s: %w", callSid, err)
	}
	return out, nil
}
