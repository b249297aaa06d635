package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

const eventCols = `seq, id, type, call_sid, time, data`

func scanEvent(r rowScanner) (Event, error) {
	var e Event
	err := r.Scan(&e.Seq, &e.ID, &e.Type, &e.CallSid, dbTime{&e.Time}, dbJSON{&e.Data})
	return e, err
}

// AppendEvent implements Store.
func (s *sqlStore) AppendEvent(ctx context.Context, e Event) (Event, bool, error) {
	if e.Type == "" {
		return Event{}, false, invalid("event type", "empty")
	}
	if err := checkJSON("event data", e.Data); err != nil {
		return Event{}, false, err
	}
	if e.ID == "" {
		e.ID = newID("evt_")
	}
	if e.Time.IsZero() {
		e.Time = s.nowUTC()
	}
	var (
		out     Event
		created bool
	)
	// Batched with verdicts and other events (group commit).
	err := s.batch.do(ctx, func(ctx context.Context, q querier) error {
		var err error
		out, err = scanEvent(q.QueryRowContext(ctx, s.rebind(`INSERT INTO events (id, type, call_sid, time, data)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING `+eventCols),
			e.ID, e.Type, e.CallSid, s.tv(e.Time), jv(e.Data)))
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		created = false
		out, err = scanEvent(q.QueryRowContext(ctx, s.rebind(`SELECT `+eventCols+` FROM events WHERE id = ?`), e.ID))
		return err
	})
	if err != nil {
		return Event{}, false, fmt.Errorf("store: append event: %w", err)
	}
	return out, created, nil
}

// ListEvents implements Store.
func (s *sqlStore) ListEvents(ctx context.Context, f EventFilter, page PageRequest) (Page[Event], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[Event]{}, err
	}
	where, args := "WHERE seq > ?", []any{f.AfterSeq}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 1)
		if err != nil {
			return Page[Event]{}, err
		}
		after, err := strconv.ParseInt(k[0], 10, 64)
		if err != nil {
			return Page[Event]{}, invalid("cursor", "malformed")
		}
		where += " AND seq > ?"
		args = append(args, after)
	}
	if f.CallSid != "" {
		where += " AND call_sid = ?"
		args = append(args, f.CallSid)
	}
	if len(f.Types) > 0 {
		where += " AND type IN (?" + repeatParams(len(f.Types)-1) + ")"
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if !f.Since.IsZero() {
		where += " AND time >= ?"
		args = append(args, s.tv(f.Since))
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+eventCols+` FROM events `+where+` ORDER BY seq LIMIT ?`, args, scanEvent)
	if err != nil {
		return Page[Event]{}, fmt.Errorf("store: list events: %w", err)
	}
	return pageOf(items, limit, func(e Event) string { return encodeCursor(strconv.FormatInt(e.Seq, 10)) }), nil
}
