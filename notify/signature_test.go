package notify

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"1","type":"verdict"}`)
	good := Sign("s3cret", now, body)
	if !strings.HasPrefix(good, "t=1800000000,v1=") || len(good) != len("t=1800000000,v1=")+64 {
		t.Fatalf("Sign = %q", good)
	}
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"ok", "s3cret", good, body, now, nil},
		{"ok within tolerance", "s3cret", good, body, now.Add(4 * time.Minute), nil},
		{"rotated secrets", "new", good + ",v1=" + Sign("new", now, body)[len("t=1800000000,v1="):], body, now, nil},
		{"unknown scheme ignored", "s3cret", "v0=abc," + good, body, now, nil},
		{"tampered body", "s3cret", good, []byte(`{"id":"1","type":"alert"}`), now, ErrSignatureMismatch},
		{"wrong secret", "other", good, body, now, ErrSignatureMismatch},
		{"replayed later", "s3cret", good, body, now.Add(6 * time.Minute), ErrSignatureExpired},
		{"from the future", "s3cret", good, body, now.Add(-6 * time.Minute), ErrSignatureExpired},
		{"timestamp changed", "s3cret", strings.Replace(good, "t=1800000000", "t=1800000001", 1), body, now, ErrSignatureMismatch},
		{"empty", "s3cret", "", body, now, ErrNoSignature},
		{"no v1", "s3cret", "t=1800000000", body, now, ErrNoSignature},
		{"no t", "s3cret", "v1=00", body, now, ErrBadSignatureHeader},
		{"bad t", "s3cret", "t=abc,v1=00", body, now, ErrBadSignatureHeader},
		{"two t", "s3cret", "t=1,t=2,v1=00", body, now, ErrBadSignatureHeader},
		{"garbage", "s3cret", "hello", body, now, ErrBadSignatureHeader},
		{"bad hex", "s3cret", "t=1800000000,v1=zz", body, now, ErrSignatureMismatch},
	} {
		err := verifySignatureAt(tc.secret, tc.header, tc.body, 0, tc.at)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := verifySignatureAt("s3cret", good, body, time.Hour, now.Add(30*time.Minute)); err != nil {
		t.Errorf("custom tolerance: %v", err)
	}
	if err := VerifySignature("s3cret", Sign("s3cret", time.Now(), body), body, 0); err != nil {
		t.Errorf("VerifySignature(now): %v", err)
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("t=1800000000,v1=5d41402abc4b2a76b9719d911017c592,v1=", []byte(""))
	f.Add(",,,=,t=", []byte("x"))
	f.Add("t=99999999999999999999,v1=aa", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		now := time.Unix(1_800_000_000, 0)
		err := verifySignatureAt("k", header, body, time.Minute, now)
		if err == nil {
			// Only a header made with the key can pass.
			ts, _, perr := parseSignatureHeader(header)
			sec, _ := strconv.ParseInt(ts, 10, 64)
			if perr != nil || verifySignatureAt("k", Sign("k", time.Unix(sec, 0), body), body, time.Minute, now) != nil {
				t.Fatalf("accepted %q", header)
			}
		}
		// A fresh signature of the same body always verifies.
		if err := verifySignatureAt("k", Sign("k", now, body), body, time.Minute, now); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
