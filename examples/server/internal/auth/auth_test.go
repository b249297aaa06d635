package auth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/auth"
)

func TestCheck(t *testing.T) {
	stored := auth.Hash("stored-token-0123456789")
	a := auth.New([]string{"static-token-0123456789"}, func(_ context.Context, h []byte) (string, error) {
		if bytes.Equal(h, stored[:]) {
			return "tok_1", nil
		}
		return "", errors.New("not found")
	})
	ctx := context.Background()
	for tok, want := range map[string]string{"static-token-0123456789": "static", "stored-token-0123456789": "tok_1"} {
		if id, err := a.Check(ctx, tok); err != nil || id != want {
			t.Errorf("%s: %q %v", tok, id, err)
		}
	}
	for _, bad := range []string{"", "static-token-012345678", "static-token-0123456789 ", strings.Repeat("x", 600)} {
		if _, err := a.Check(ctx, bad); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestToken(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/events?access_token=q", nil)
	if auth.Token(r, false) != "" || auth.Token(r, true) != "q" {
		t.Fatal("query token")
	}
	r.Header.Set("Authorization", "bearer  h ")
	if auth.Token(r, true) != "h" {
		t.Fatal("header must win and be trimmed")
	}
	r.Header.Set("Authorization", "Basic h")
	if auth.Token(r, true) != "" {
		t.Fatal("basic accepted")
	}
	a, b := auth.GenerateToken(), auth.GenerateToken()
	if a == b || !strings.HasPrefix(a, "cg_") || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
}
