package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const callCols = `sid, account_sid, from_number, to_number, direction, status, created_at, updated_at, ended_at`

func scanCall(r rowScanner) (Call, error) {
	var c Call
	err := r.Scan(&c.Sid, &c.AccountSid, &c.From, &c.To, &c.Direction, &c.Status,
		dbTime{&c.CreatedAt}, dbTime{&c.UpdatedAt}, dbTime{&c.EndedAt})
	return c, err
}

// ensureCall creates a bare call row if none exists yet.
func (s *sqlStore) ensureCall(ctx context.Context, q querier, callSid string) error {
	now := s.tv(s.nowUTC())
	_, err := q.ExecContext(ctx, s.rebind(`INSERT INTO calls (sid, created_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (sid) DO NOTHING`), callSid, now, now)
	return err
}

// UpsertCall implements Store.
func (s *sqlStore) UpsertCall(ctx context.Context, c Call) (Call, error) {
	if c.Sid == "" {
		return Call{}, invalid("call sid", "empty")
	}
	now := s.nowUTC()
	created := c.CreatedAt
	if created.IsZero() {
		created = now
	}
	var out Call
	err := s.write(ctx, func(q querier) error {
		var err error
		out, err = scanCall(q.QueryRowContext(ctx, s.rebind(`INSERT INTO calls (`+callCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sid) DO UPDATE SET
				account_sid = CASE WHEN excluded.account_sid <> '' THEN excluded.account_sid ELSE calls.account_sid END,
				from_number = CASE WHEN excluded.from_number <> '' THEN excluded.from_number ELSE calls.from_number END,
				to_number   = CASE WHEN excluded.to_number <> '' THEN excluded.to_number ELSE calls.to_number END,
				direction   = CASE WHEN excluded.direction <> '' THEN excluded.direction ELSE calls.direction END,
				status      = CASE WHEN excluded.status <> '' THEN excluded.status ELSE calls.status END,
				ended_at    = COALESCE(excluded.ended_at, calls.ended_at),
				updated_at  = excluded.updated_at
			RETURNING `+callCols),
			c.Sid, c.AccountSid, c.From, c.To, c.Direction, c.Status,
			s.tv(created), s.tv(now), s.tv(c.EndedAt)))
		return err
	})
	if err != nil {
		return Call{}, fmt.Errorf("store: upsert call %s: %w", c.Sid, err)
	}
	return out, nil
}

// GetCall implements Store.
func (s *sqlStore) GetCall(ctx context.Context, callSid string) (Call, error) {
	var c Call
	err := s.read(ctx, func(q querier) error {
		var err error
		c, err = scanCall(q.QueryRowContext(ctx, s.rebind(`SELECT `+callCols+` FROM calls WHERE sid = ?`), callSid))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Call{}, fmt.Errorf("store: call %s: %w", callSid, ErrNotFound)
	}
	if err != nil {
		return Call{}, fmt.Errorf("store: get call %s: %w", callSid, err)
	}
	return c, nil
}

// ListCalls implements Store.
func (s *sqlStore) ListCalls(ctx context.Context, page PageRequest) (Page[Call], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[Call]{}, err
	}
	where, args := "", []any{}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 2)
		if err != nil {
			return Page[Call]{}, err
		}
		t, err := s.cursorTime(k[0])
		if err != nil {
			return Page[Call]{}, err
		}
		where = ` WHERE (created_at < ? OR (created_at = ? AND sid < ?))`
		args = append(args, t, t, k[1])
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+callCols+` FROM calls`+where+
		` ORDER BY created_at DESC, sid DESC LIMIT ?`, args, scanCall)
	if err != nil {
		return Page[Call]{}, fmt.Errorf("store: list calls: %w", err)
	}
	return pageOf(items, limit, func(c Call) string { return encodeCursor(timeKey(c.CreatedAt), c.Sid) }), nil
}
