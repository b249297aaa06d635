package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
)

// ValidE164 reports whether n is an E.164 number: "+" then 2 to 15 digits,
// the first not 0.
func ValidE164(n string) bool {
	if len(n) < 3 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return false
	}
	for i := 1; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

const numberCols = `e164, enabled, track, action, redirect_url, updated_at`

func scanNumber(r rowScanner) (Number, error) {
	var n Number
	err := r.Scan(&n.E164, &n.Enabled, &n.Track, &n.Action, &n.RedirectURL, dbTime{&n.UpdatedAt})
	return n, err
}

func validateNumber(n *Number) error {
	if !ValidE164(n.E164) {
		return invalid("e164", fmt.Sprintf("%q is not an E.164 number", n.E164))
	}
	switch n.Track {
	case "":
		n.Track = TrackInbound
	case TrackInbound, TrackOutbound, TrackBoth:
	default:
		return invalid("track", fmt.Sprintf("%q is not %s, %s or %s", n.Track, TrackInbound, TrackOutbound, TrackBoth))
	}
	if n.Action == "" {
		n.Action = ActionNotify
	}
	if !n.Action.Valid() {
		return invalid("action", fmt.Sprintf("%q is not notify, announce, redirect or hangup", n.Action))
	}
	if n.Action == ActionRedirect || n.RedirectURL != "" {
		u, err := url.Parse(n.RedirectURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("redirect url", fmt.Sprintf("%q is not an absolute http(s) URL", n.RedirectURL))
		}
	}
	return nil
}

// PutNumber implements Store.
func (s *sqlStore) PutNumber(ctx context.Context, n Number) (Number, error) {
	if err := validateNumber(&n); err != nil {
		return Number{}, err
	}
	var out Number
	err := s.write(ctx, func(q querier) error {
		var err error
		out, err = scanNumber(q.QueryRowContext(ctx, s.rebind(`INSERT INTO numbers (`+numberCols+`)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (e164) DO UPDATE SET
				enabled = excluded.enabled, track = excluded.track, action = excluded.action,
				redirect_url = excluded.redirect_url, updated_at = excluded.updated_at
			RETURNING `+numberCols),
			n.E164, n.Enabled, n.Track, string(n.Action), n.RedirectURL, s.tv(s.nowUTC())))
		return err
	})
	if err != nil {
		return Number{}, fmt.Errorf("store: put number %s: %w", n.E164, err)
	}
	return out, nil
}

// GetNumber implements Store.
func (s *sqlStore) GetNumber(ctx context.Context, e164 string) (Number, error) {
	var n Number
	err := s.read(ctx, func(q querier) error {
		var err error
		n, err = scanNumber(q.QueryRowContext(ctx, s.rebind(`SELECT `+numberCols+` FROM numbers WHERE e164 = ?`), e164))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Number{}, fmt.Errorf("store: number %s: %w", e164, ErrNotFound)
	}
	if err != nil {
		return Number{}, fmt.Errorf("store: get number %s: %w", e164, err)
	}
	return n, nil
}

// DeleteNumber implements Store.
func (s *sqlStore) DeleteNumber(ctx context.Context, e164 string) error {
	var n int64
	err := s.write(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, s.rebind(`DELETE FROM numbers WHERE e164 = ?`), e164)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete number %s: %w", e164, err)
	}
	if n == 0 {
		return fmt.Errorf("store: number %s: %w", e164, ErrNotFound)
	}
	return nil
}

// ListNumbers implements Store.
func (s *sqlStore) ListNumbers(ctx context.Context, page PageRequest) (Page[Number], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[Number]{}, err
	}
	where, args := "", []any{}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 1)
		if err != nil {
			return Page[Number]{}, err
		}
		where = " WHERE e164 > ?"
		args = append(args, k[0])
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+numberCols+` FROM numbers`+where+` ORDER BY e164 LIMIT ?`, args, scanNumber)
	if err != nil {
		return Page[Number]{}, fmt.Errorf("store: list numbers: %w", err)
	}
	return pageOf(items, limit, func(n Number) string { return encodeCursor(n.E164) }), nil
}
