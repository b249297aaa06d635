package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"
)

// encodeCursor makes an opaque, URL-safe page cursor from the sort keys of
// the last row of a page: a JSON array of strings in unpadded base64url.
func encodeCursor(keys ...string) string {
	b, _ := json.Marshal(keys)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the n keys of a cursor made by encodeCursor, or an
// *InvalidError.
func decodeCursor(c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, invalid("cursor", "malformed")
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) != n {
		return nil, invalid("cursor", "malformed")
	}
	return keys, nil
}

func limitOf(p PageRequest) (int, error) {
	switch {
	case p.Limit < 0:
		return 0, invalid("limit", "negative")
	case p.Limit == 0:
		return DefaultPageLimit, nil
	case p.Limit > MaxPageLimit:
		return MaxPageLimit, nil
	}
	return p.Limit, nil
}

// cursorTime parses a time key of a cursor into a query argument.
func (s *sqlStore) cursorTime(k string) (any, error) {
	t, err := time.Parse(time.RFC3339Nano, k)
	if err != nil {
		return nil, invalid("cursor", "malformed")
	}
	return s.tv(t), nil
}

func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// queryList runs a read query on the read pool and scans every row.
func queryList[T any](ctx context.Context, s *sqlStore, q string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	var items []T
	err := s.read(ctx, func(db querier) error {
		items = items[:0]
		rows, err := db.QueryContext(ctx, s.rebind(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scan(rows)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	return items, err
}

// pageOf trims a result fetched with limit+1 rows into a page.
func pageOf[T any](items []T, limit int, cursor func(T) string) Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, NextCursor: cursor(items[limit-1])}
}
