package twiliotest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
)

// SignatureHeader is the header Twilio puts its signature in.
const SignatureHeader = "X-Twilio-Signature"

// Signature computes Twilio's X-Twilio-Signature for a request to fullURL
// (exactly as configured in Twilio, query string included) with POST form
// params: base64(HMAC-SHA1(authToken, fullURL + name1 + value1 + …)) over
// the parameters sorted by name (the distinct values of a repeated name in
// sorted order, as Twilio's helper libraries do; note that twilio-go's
// validator only checks the first value of a repeated name).
// Pass nil params for GET requests, WebSocket upgrades and bodySHA256
// requests, whose signature covers the URL alone.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range slices.Compact(vs) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignURL is the signature of a GET request or WebSocket upgrade to fullURL
// (Signature with no params).
func SignURL(authToken, fullURL string) string {
	return Signature(authToken, fullURL, nil)
}

// BodySHA256 returns the lowercase hex SHA-256 of body, the value Twilio
// puts in the bodySHA256 query parameter of JSON webhooks.
func BodySHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SignJSON signs a JSON (non-form) webhook the way Twilio does: it adds
// bodySHA256=<hex sha256 of body> to fullURL's query and signs the resulting
// URL. It returns the URL to request and the signature header value.
func SignJSON(authToken, fullURL string, body []byte) (signedURL, signature string) {
	sep := "?"
	if strings.Contains(fullURL, "?") {
		sep = "&"
	}
	signedURL = fullURL + sep + "bodySHA256=" + BodySHA256(body)
	return signedURL, SignURL(authToken, signedURL)
}

// SignRequest signs r in place as Twilio would sign it for a webhook whose
// public URL is publicURL + r.URL's path and query (publicURL is the base,
// like twiml.Validator.PublicURL; empty means r.URL's own scheme and host).
//
//   - GET/HEAD: the URL alone.
//   - application/x-www-form-urlencoded (or no Content-Type) bodies: the URL
//     plus the sorted form parameters.
//   - any other body (JSON): bodySHA256 is added to r.URL's query and the
//     URL alone is signed.
//
// The body is read and replaced, so r can still be sent or served.
func SignRequest(r *http.Request, authToken, publicURL string) error {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return fmt.Errorf("twiliotest: read body: %w", err)
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	form := ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !form {
		q := r.URL.RawQuery
		if q != "" {
			q += "&"
		}
		r.URL.RawQuery = q + "bodySHA256=" + BodySHA256(body)
		if r.RequestURI != "" {
			// A server-side request (httptest.NewRequest): keep RequestURI
			// in step. Client requests keep it empty, as http.Client needs.
			r.RequestURI = r.URL.RequestURI()
		}
	}
	full, err := PublicURL(r, publicURL)
	if err != nil {
		return err
	}
	var params url.Values
	if r.Method != http.MethodGet && r.Method != http.MethodHead && form {
		params, err = url.ParseQuery(string(body))
		if err != nil {
			return fmt.Errorf("twiliotest: parse form body: %w", err)
		}
	}
	r.Header.Set(SignatureHeader, Signature(authToken, full, params))
	return nil
}

// PublicURL returns the URL Twilio would have called for r: base (scheme,
// host and optional path prefix) + r.URL's escaped path and raw query. An
// empty base uses r.URL's scheme and host (or r.Host over http).
func PublicURL(r *http.Request, base string) (string, error) {
	if base == "" {
		scheme, host := r.URL.Scheme, r.URL.Host
		if host == "" {
			host = r.Host
		}
		if scheme == "" {
			scheme = "http"
		}
		base = scheme + "://" + host
	}
	b, err := url.Parse(base)
	if err != nil || b.Host == "" {
		return "", fmt.Errorf("twiliotest: bad public URL %q", base)
	}
	u := strings.TrimSuffix(b.Scheme+"://"+b.Host+b.EscapedPath(), "/")
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u += path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u, nil
}

// NewFormRequest returns a server-side request (httptest.NewRequest) as
// Twilio sends a form webhook to publicURL (full URL, query included):
// POST, form-encoded params, signed with authToken. Serve it to a handler
// wrapped in twiml.Validator{AuthToken: authToken, PublicURL: <scheme://host
// of publicURL>}.Middleware.
func NewFormRequest(authToken, publicURL string, params url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, publicURL, strings.NewReader(params.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(SignatureHeader, Signature(authToken, publicURL, params))
	return r
}

// NewJSONRequest returns a server-side POST of a JSON body to publicURL,
// signed like Twilio's JSON webhooks (bodySHA256 added to the query).
func NewJSONRequest(authToken, publicURL string, body []byte) *http.Request {
	signedURL, sig := SignJSON(authToken, publicURL, body)
	r := httptest.NewRequest(http.MethodPost, signedURL, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, sig)
	return r
}
