package twiml_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// Twilio's documented example (twilio-go README, "Use the request
// validator"; Twilio "Secure webhooks" docs): auth token 12345.
const (
	docToken     = "12345"
	docURL       = "https://mycompany.com/myapp.php?foo=1&bar=2"
	docSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	docJSONURL   = "https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	docJSONBody  = `{"property": "value", "boolean": true}`
	docJSONSig   = "y77kIzt2vzLz71DgmJGsen2scGs="
)

func docParams() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
}

// echo is a handler that records that it ran and what body it saw.
type echo struct {
	ran  bool
	body string
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.ran = true
	b, _ := io.ReadAll(r.Body)
	e.body = string(b)
	w.WriteHeader(http.StatusOK)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func docRequest(sig string, params url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/myapp.php?foo=1&bar=2", strings.NewReader(params.Encode()))
	r.Host = "attacker.example" // must be ignored: the URL comes from PublicURL
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		r.Header.Set(twiml.SignatureHeader, sig)
	}
	return r
}

func TestValidatorDocumentedFormVector(t *testing.T) {
	v := twiml.Validator{AuthToken: docToken, PublicURL: "https://mycompany.com"}
	var h echo
	rec := serve(v.Middleware(&h), docRequest(docSignature, docParams()))
	if rec.Code != http.StatusOK || !h.ran {
		t.Fatalf("documented signature rejected: %d", rec.Code)
	}
	// The handler still reads the whole body.
	if got, _ := url.ParseQuery(h.body); got.Encode() != docParams().Encode() {
		t.Fatalf("handler body = %q", h.body)
	}
}

func TestValidatorDocumentedJSONVector(t *testing.T) {
	v := twiml.Validator{AuthToken: docToken, PublicURL: "https://mycompany.com"}
	u, _ := url.Parse(docJSONURL)
	newReq := func(body, sig string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, u.RequestURI(), strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(twiml.SignatureHeader, sig)
		return r
	}
	var h echo
	if rec := serve(v.Middleware(&h), newReq(docJSONBody, docJSONSig)); rec.Code != http.StatusOK || !h.ran {
		t.Fatalf("documented JSON signature rejected: %d", rec.Code)
	}
	if h.body != docJSONBody {
		t.Fatalf("handler body = %q", h.body)
	}
	// Same URL and signature, altered body: the hash no longer matches.
	h = echo{}
	if rec := serve(v.Middleware(&h), newReq(`{"property": "other", "boolean": true}`, docJSONSig)); rec.Code != http.StatusForbidden || h.ran {
		t.Fatalf("altered JSON body: %d ran=%v", rec.Code, h.ran)
	}
}

func TestValidatorRejects(t *testing.T) {
	v := twiml.Validator{AuthToken: docToken, PublicURL: "https://mycompany.com"}
	altered := docParams()
	altered.Set("To", "+18005550000")
	added := docParams()
	added.Set("Extra", "1")
	tests := []struct {
		name string
		req  *http.Request
		want error
	}{
		{"absent", docRequest("", docParams()), twiml.ErrMissingSignature},
		{"forged", docRequest("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", docParams()), twiml.ErrInvalidSignature},
		{"altered param", docRequest(docSignature, altered), twiml.ErrInvalidSignature},
		{"added param", docRequest(docSignature, added), twiml.ErrInvalidSignature},
		{"wrong token", docRequest(twiliotest.Signature("54321", docURL, docParams()), docParams()), twiml.ErrInvalidSignature},
		{"altered query", func() *http.Request {
			r := docRequest(docSignature, docParams())
			r.URL.RawQuery = "foo=1&bar=3"
			return r
		}(), twiml.ErrInvalidSignature},
		{"other path", func() *http.Request {
			r := docRequest(docSignature, docParams())
			r.URL.Path = "/other.php"
			return r
		}(), twiml.ErrInvalidSignature},
		{"json without bodySHA256", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/myapp.php?foo=1&bar=2", strings.NewReader(docJSONBody))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(twiml.SignatureHeader, twiliotest.SignURL(docToken, docURL))
			return r
		}(), twiml.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := v.Validate(tt.req.Clone(tt.req.Context())); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
	// Fresh requests through the middleware: 403 and the handler never runs.
	for _, tt := range []struct {
		name string
		req  *http.Request
	}{
		{"absent", docRequest("", docParams())},
		{"forged", docRequest("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", docParams())},
		{"altered param", docRequest(docSignature, altered)},
	} {
		var h echo
		rec := serve(v.Middleware(&h), tt.req)
		if rec.Code != http.StatusForbidden || h.ran {
			t.Errorf("%s: status %d, handler ran=%v", tt.name, rec.Code, h.ran)
		}
	}
}

func TestValidatorHostHeaderIgnored(t *testing.T) {
	// A request signed for the attacker's host must fail even though the
	// request's Host header says that host.
	v := twiml.Validator{AuthToken: docToken, PublicURL: "https://mycompany.com"}
	sig := twiliotest.Signature(docToken, "https://attacker.example/myapp.php?foo=1&bar=2", docParams())
	var h echo
	rec := serve(v.Middleware(&h), docRequest(sig, docParams()))
	if rec.Code != http.StatusForbidden || h.ran {
		t.Fatalf("status %d ran=%v", rec.Code, h.ran)
	}
}

func TestValidatorGETAndPrefix(t *testing.T) {
	const token = "tok3n"
	v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com/twilio/"}
	full := "https://calls.example.com/twilio/media?x=1"
	r := httptest.NewRequest(http.MethodGet, "/media?x=1", nil)
	r.Header.Set(twiml.SignatureHeader, twiliotest.SignURL(token, full))
	var h echo
	if rec := serve(v.Middleware(&h), r); rec.Code != http.StatusOK || !h.ran {
		t.Fatalf("GET with prefix: %d", rec.Code)
	}
	if got, _ := v.URL(r); got != full {
		t.Fatalf("URL = %q, want %q", got, full)
	}
	// With a port in PublicURL Twilio may sign with or without it; both pass.
	v.PublicURL = "https://calls.example.com:443/twilio"
	r = httptest.NewRequest(http.MethodGet, "/media?x=1", nil)
	r.Header.Set(twiml.SignatureHeader, twiliotest.SignURL(token, full))
	if err := v.Validate(r); err != nil {
		t.Fatalf("port variant: %v", err)
	}
}

func TestValidatorWithTwiliotestSigners(t *testing.T) {
	const token = "s3cret"
	v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com"}
	params := twiliotest.VoiceParams("AC1", "CA1", "+15550001111", "+15550002222")

	var h echo
	if rec := serve(v.Middleware(&h), twiliotest.NewFormRequest(token, "https://calls.example.com/voice?tenant=a%20b", params)); rec.Code != http.StatusOK {
		t.Fatalf("NewFormRequest: %d", rec.Code)
	}
	h = echo{}
	if rec := serve(v.Middleware(&h), twiliotest.NewJSONRequest(token, "https://calls.example.com/events", []byte(`{"a":1}`))); rec.Code != http.StatusOK || h.body != `{"a":1}` {
		t.Fatalf("NewJSONRequest: %d body %q", rec.Code, h.body)
	}
	// SignRequest on a client-style request.
	r := httptest.NewRequest(http.MethodPost, "/voice", strings.NewReader(params.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := twiliotest.SignRequest(r, token, "https://calls.example.com"); err != nil {
		t.Fatal(err)
	}
	h = echo{}
	if rec := serve(v.Middleware(&h), r); rec.Code != http.StatusOK || h.body != params.Encode() {
		t.Fatalf("SignRequest form: %d", rec.Code)
	}
	r = httptest.NewRequest(http.MethodPost, "/voice?a=1", strings.NewReader(`{"b":2}`))
	r.Header.Set("Content-Type", "application/json")
	if err := twiliotest.SignRequest(r, token, "https://calls.example.com"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.URL.RawQuery, "bodySHA256=") {
		t.Fatalf("query %q lacks bodySHA256", r.URL.RawQuery)
	}
	h = echo{}
	if rec := serve(v.Middleware(&h), r); rec.Code != http.StatusOK || h.body != `{"b":2}` {
		t.Fatalf("SignRequest JSON: %d", rec.Code)
	}
}

func TestValidatorLimitsAndConfig(t *testing.T) {
	const token = "t"
	params := url.Values{"Big": {strings.Repeat("x", 2000)}}
	v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com", MaxBodyBytes: 1000}
	var h echo
	rec := serve(v.Middleware(&h), twiliotest.NewFormRequest(token, "https://calls.example.com/voice", params))
	if rec.Code != http.StatusRequestEntityTooLarge || h.ran {
		t.Fatalf("big body: %d ran=%v", rec.Code, h.ran)
	}
	for _, bad := range []twiml.Validator{{PublicURL: "https://calls.example.com"}, {AuthToken: token}, {AuthToken: token, PublicURL: "calls.example.com"}} {
		h = echo{}
		rec := serve(bad.Middleware(&h), twiliotest.NewFormRequest(token, "https://calls.example.com/voice", url.Values{}))
		if rec.Code != http.StatusInternalServerError || h.ran {
			t.Fatalf("%+v: %d ran=%v", bad, rec.Code, h.ran)
		}
	}
}

// OnReject answers every rejection in place of the plain-text default,
// with the error Validate returned; valid requests never reach it.
func TestValidatorOnReject(t *testing.T) {
	const token = "t"
	type call struct {
		err    error
		status int
	}
	var calls []call
	v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com", MaxBodyBytes: 1000,
		OnReject: func(w http.ResponseWriter, r *http.Request, err error) {
			calls = append(calls, call{err, twiml.RejectStatus(err)})
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(twiml.RejectStatus(err))
			_, _ = io.WriteString(w, `{"code":"rejected"}`)
		}}
	forged := twiliotest.NewFormRequest("other-token", "https://calls.example.com/voice", url.Values{"CallSid": {"CA1"}})
	unsigned := twiliotest.NewFormRequest(token, "https://calls.example.com/voice", url.Values{"CallSid": {"CA1"}})
	unsigned.Header.Del(twiml.SignatureHeader)
	big := twiliotest.NewFormRequest(token, "https://calls.example.com/voice", url.Values{"Big": {strings.Repeat("x", 2000)}})
	for _, tt := range []struct {
		name   string
		v      twiml.Validator
		req    *http.Request
		want   error
		status int
	}{
		{"forged", v, forged, twiml.ErrInvalidSignature, http.StatusForbidden},
		{"unsigned", v, unsigned, twiml.ErrMissingSignature, http.StatusForbidden},
		{"too big", v, big, twiml.ErrBodyTooLarge, http.StatusRequestEntityTooLarge},
		{"misconfigured", twiml.Validator{AuthToken: token, OnReject: v.OnReject},
			twiliotest.NewFormRequest(token, "https://calls.example.com/voice", url.Values{}), twiml.ErrValidatorConfig, http.StatusInternalServerError},
	} {
		calls = nil
		var h echo
		rec := serve(tt.v.Middleware(&h), tt.req)
		if h.ran || len(calls) != 1 || !errors.Is(calls[0].err, tt.want) || calls[0].status != tt.status {
			t.Errorf("%s: ran=%v calls=%+v, want one call with %v", tt.name, h.ran, calls, tt.want)
			continue
		}
		if rec.Code != tt.status || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Body.String() != `{"code":"rejected"}` {
			t.Errorf("%s: answer %d %q %q, want the hook's", tt.name, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	calls = nil
	var h echo
	ok := twiliotest.NewFormRequest(token, "https://calls.example.com/voice", url.Values{"CallSid": {"CA1"}})
	if rec := serve(v.Middleware(&h), ok); rec.Code != http.StatusOK || !h.ran || len(calls) != 0 {
		t.Fatalf("valid request: %d ran=%v hook calls=%d", rec.Code, h.ran, len(calls))
	}
}

func FuzzValidator(f *testing.F) {
	f.Add("CallSid=CA1&AccountSid=AC1", "application/x-www-form-urlencoded", "/voice?x=1", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
	f.Add(`{"a":1}`, "application/json", "/events?bodySHA256=abc", "")
	f.Add("%zz", "", "/", "AAAA")
	f.Fuzz(func(t *testing.T, body, contentType, target, sig string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		const token = "fuzz"
		v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com", MaxBodyBytes: 4096}
		r := httptest.NewRequest(http.MethodPost, "https://calls.example.com"+u.RequestURI(), strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set(twiml.SignatureHeader, sig)
		err = v.Validate(r)
		if err == nil {
			// Accepted: the signature must be the one Twilio would compute.
			full, _ := v.URL(r)
			form, _ := url.ParseQuery(body)
			if sig != twiliotest.SignURL(token, full) && sig != twiliotest.Signature(token, full, form) {
				t.Fatalf("accepted a signature nobody computed: %q", sig)
			}
		}
		if len(body) <= 4096 {
			got, _ := io.ReadAll(r.Body)
			if string(got) != body {
				t.Fatalf("body not preserved: %q vs %q", got, body)
			}
		}
	})
}
