package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// HashToken returns the SHA-256 hash under which a bearer token is stored
// and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// TokenPrefix starts every token made by NewToken, so that leaked tokens
// are easy to recognize.
const TokenPrefix = "cgt_"

// NewToken returns a new random bearer token (TokenPrefix and 43
// URL-safe characters, 256 bits) and its hash for CreateAPIToken.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

const tokenCols = `id, name, hash, created_at, last_used_at, revoked_at`

func scanToken(r rowScanner) (APIToken, error) {
	var t APIToken
	err := r.Scan(&t.ID, &t.Name, &t.Hash, dbTime{&t.CreatedAt}, dbTime{&t.LastUsedAt}, dbTime{&t.RevokedAt})
	return t, err
}

// CreateAPIToken implements Store.
func (s *sqlStore) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	if len(t.Hash) != sha256.Size {
		return APIToken{}, invalid("token hash", "want "+strconv.Itoa(sha256.Size)+" bytes (see HashToken)")
	}
	if t.ID == "" {
		t.ID = newID("tok_")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.nowUTC()
	}
	var out APIToken
	err := s.inTx(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO api_tokens (id, name, hash, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), t.ID, t.Name, t.Hash, s.tv(t.CreatedAt), s.tv(t.RevokedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		got, err := scanToken(tx.QueryRowContext(ctx, s.rebind(`SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`), t.ID))
		switch {
		case err == nil && (n == 1 || bytes.Equal(got.Hash, t.Hash) && got.Name == t.Name):
			out = got // inserted now, or by an attempt that had committed
			return nil
		case err == nil:
			return &ConflictError{What: "api token", Existing: t.ID, Reason: "id already used"}
		case errors.Is(err, sql.ErrNoRows):
			return &ConflictError{What: "api token", Reason: "another token has the same hash"}
		}
		return err
	})
	if err != nil {
		return APIToken{}, fmt.Errorf("store: create api token: %w", err)
	}
	return out, nil
}

// APITokenByHash implements Store.
func (s *sqlStore) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	if len(hash) != sha256.Size {
		return APIToken{}, fmt.Errorf("store: api token: %w", ErrNotFound)
	}
	var t APIToken
	err := s.read(ctx, func(q querier) error {
		var err error
		t, err = scanToken(q.QueryRowContext(ctx, s.rebind(`SELECT `+tokenCols+` FROM api_tokens
			WHERE hash = ? AND revoked_at IS NULL`), hash))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is not echoed: it identifies a credential.
		return APIToken{}, fmt.Errorf("store: api token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("store: get api token: %w", err)
	}
	return t, nil
}

// TouchAPIToken implements Store.
func (s *sqlStore) TouchAPIToken(ctx context.Context, id string) error {
	return s.tokenUpdate(ctx, id, "touch", `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`)
}

// RevokeAPIToken implements Store.
func (s *sqlStore) RevokeAPIToken(ctx context.Context, id string) error {
	return s.tokenUpdate(ctx, id, "revoke", `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`)
}

func (s *sqlStore) tokenUpdate(ctx context.Context, id, verb, q string) error {
	var n int64
	err := s.write(ctx, func(db querier) error {
		res, err := db.ExecContext(ctx, s.rebind(q), s.tv(s.nowUTC()), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s api token %s: %w", verb, id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: api token %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListAPITokens implements Store.
func (s *sqlStore) ListAPITokens(ctx context.Context, page PageRequest) (Page[APIToken], error) {
	limit, err := limitOf(page)
	if err != nil {
		return Page[APIToken]{}, err
	}
	where, args := "", []any{}
	if page.Cursor != "" {
		k, err := decodeCursor(page.Cursor, 2)
		if err != nil {
			return Page[APIToken]{}, err
		}
		t, err := s.cursorTime(k[0])
		if err != nil {
			return Page[APIToken]{}, err
		}
		where = " WHERE (created_at > ? OR (created_at = ? AND id > ?))"
		args = append(args, t, t, k[1])
	}
	args = append(args, limit+1)
	items, err := queryList(ctx, s, `SELECT `+tokenCols+` FROM api_tokens`+where+
		` ORDER BY created_at, id LIMIT ?`, args, scanToken)
	if err != nil {
		return Page[APIToken]{}, fmt.Errorf("store: list api tokens: %w", err)
	}
	return pageOf(items, limit, func(t APIToken) string { return encodeCursor(timeKey(t.CreatedAt), t.ID) }), nil
}
