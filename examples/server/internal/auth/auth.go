package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthorized is returned for a missing, malformed or unknown token.
var ErrUnauthorized = errors.New("auth: missing or invalid bearer token")

// Lookup finds a stored token by hash and returns its ID, or an error
// (any error counts as "not found").
type Lookup func(ctx context.Context, hash []byte) (id string, err error)

// Authenticator checks bearer tokens.
type Authenticator struct {
	static [][32]byte
	lookup Lookup
}

// Hash returns the SHA-256 of a token, the only form in which it is kept.
func Hash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// New returns an Authenticator accepting the given static tokens and,
// when lookup is not nil, tokens found by it.
func New(tokens []string, lookup Lookup) *Authenticator {
	a := &Authenticator{lookup: lookup}
	for _, t := range tokens {
		a.static = append(a.static, Hash(t))
	}
	return a
}

// GenerateToken returns a new random token (32 bytes, URL-safe base64).
func GenerateToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "cg_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Token extracts the bearer token of r from the Authorization header, or,
// when allowQuery is true, from the access_token query parameter (for
// browsers' EventSource, which cannot set headers).
func Token(r *http.Request, allowQuery bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if allowQuery {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// Check returns the ID of the token ("static" for configured tokens) or
// ErrUnauthorized.
func (a *Authenticator) Check(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 512 {
		return "", ErrUnauthorized
	}
	h := Hash(token)
	match := 0
	for i := range a.static {
		match |= subtle.ConstantTimeCompare(h[:], a.static[i][:])
	}
	if match == 1 {
		return "static", nil
	}
	if a.lookup != nil {
		if id, err := a.lookup(ctx, h[:]); err == nil {
			return id, nil
		}
	}
	return "", ErrUnauthorized
}
