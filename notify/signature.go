package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header carrying a webhook's signature:
//
//	Callguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// The HMAC, keyed with the shared secret, covers the decimal timestamp, a
// period and the raw request body: "<t>.<body>". Several v1 entries may
// appear (one per secret while secrets are rotated); one match is enough.
const SignatureHeader = "Callguard-Signature"

// DefaultSignatureTolerance is how far a signature's timestamp may be
// from the receiver's clock when VerifySignature is given no tolerance.
const DefaultSignatureTolerance = 5 * time.Minute

// Signature errors returned (wrapped) by VerifySignature.
var (
	// ErrNoSignature reports an empty header or one without v1 entries.
	ErrNoSignature = errors.New("notify: no signature")
	// ErrBadSignatureHeader reports a header that does not parse.
	ErrBadSignatureHeader = errors.New("notify: malformed signature header")
	// ErrSignatureMismatch reports that no v1 entry matches the body.
	ErrSignatureMismatch = errors.New("notify: signature mismatch")
	// ErrSignatureExpired reports a timestamp outside the tolerance: a
	// replayed or delayed request.
	ErrSignatureExpired = errors.New("notify: signature timestamp outside tolerance")
)

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a SignatureHeader value against the raw request
// body: the HMAC must match secret and the timestamp must be within
// tolerance of now (DefaultSignatureTolerance when tolerance <= 0), so a
// captured request cannot be replayed later. Receivers that must also
// reject a replay inside the tolerance remember the DeliveryIDHeader of
// what they processed.
func VerifySignature(secret, header string, body []byte, tolerance time.Duration) error {
	return verifySignatureAt(secret, header, body, tolerance, time.Now())
}

func verifySignatureAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	ts, sigs, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrBadSignatureHeader, ts)
	}
	if d := now.Sub(time.Unix(t, 0)).Abs(); d > tolerance {
		return fmt.Errorf("%w: %v off, tolerance %v", ErrSignatureExpired, d.Truncate(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// parseSignatureHeader splits "t=…,v1=…[,v1=…]". Unknown keys are
// ignored so that new schemes can be added alongside v1.
func parseSignatureHeader(h string) (ts string, sigs []string, err error) {
	if strings.TrimSpace(h) == "" {
		return "", nil, ErrNoSignature
	}
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return "", nil, fmt.Errorf("%w: %q", ErrBadSignatureHeader, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: two timestamps", ErrBadSignatureHeader)
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no timestamp", ErrBadSignatureHeader)
	}
	if len(sigs) == 0 {
		return "", nil, ErrNoSignature
	}
	return ts, sigs, nil
}
