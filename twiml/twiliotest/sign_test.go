package twiliotest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml/twiliotest"
	"github.com/twilio/twilio-go/client"
)

func TestSignatureDocumentedVectors(t *testing.T) {
	// Twilio's documented example (Secure webhooks; twilio-go README).
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	if got := twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("form signature = %s", got)
	}
	// twilio-go's own validator test vectors.
	params = url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	if got := twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "vOEb5UThFn24KEfnOFLQY2AE5FY=" {
		t.Errorf("sorted-params signature = %s", got)
	}
	body := []byte(`{"property": "value", "boolean": true}`)
	if got := twiliotest.BodySHA256(body); got != "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620" {
		t.Errorf("BodySHA256 = %s", got)
	}
	u, sig := twiliotest.SignJSON("12345", "https://mycompany.com/myapp.php", body)
	if u != "https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620" || sig != "y77kIzt2vzLz71DgmJGsen2scGs=" {
		t.Errorf("SignJSON = %s, %s", u, sig)
	}
	_, sig = twiliotest.SignJSON("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", body)
	if sig != "a9nBmqA0ju/hNViExpshrM61xv4=" {
		t.Errorf("SignJSON with query = %s", sig)
	}
}

// TestSignatureAgreesWithTwilioGo checks the signer against twilio-go's
// RequestValidator over varied inputs.
func TestSignatureAgreesWithTwilioGo(t *testing.T) {
	rv := client.NewRequestValidator("tok")
	for i := range 50 {
		u := fmt.Sprintf("https://h%d.example.com/p/%d?q=%d&r=a%%20b", i, i*7, i)
		params := url.Values{}
		for j := range i % 6 {
			params.Set(fmt.Sprintf("K%d_%c", j, 'a'+rune(i%26)), strings.Repeat("v", j)+"+é&=")
		}
		m := map[string]string{}
		for k := range params {
			m[k] = params.Get(k)
		}
		if sig := twiliotest.Signature("tok", u, params); !rv.Validate(u, m, sig) {
			t.Fatalf("%s %v: twilio-go rejects %s", u, params, sig)
		}
		body := []byte(fmt.Sprintf(`{"i":%d}`, i))
		su, sig := twiliotest.SignJSON("tok", u, body)
		if !rv.ValidateBody(su, body, sig) {
			t.Fatalf("JSON %s rejected", su)
		}
	}
	if rv.Validate("https://x.example.com/", map[string]string{}, twiliotest.Signature("other", "https://x.example.com/", nil)) {
		t.Fatal("signature with another token accepted")
	}
}

func TestSignRequestGET(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/media?x=1", nil)
	if err := twiliotest.SignRequest(r, "tok", "wss://media.example.com"); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Header.Get(twiliotest.SignatureHeader), twiliotest.SignURL("tok", "wss://media.example.com/media?x=1"); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	// Empty base: the request's own URL.
	c, _ := http.NewRequest(http.MethodPost, "https://calls.example.com/voice", strings.NewReader("A=1&B=2"))
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := twiliotest.SignRequest(c, "tok", ""); err != nil {
		t.Fatal(err)
	}
	want := twiliotest.Signature("tok", "https://calls.example.com/voice", url.Values{"A": {"1"}, "B": {"2"}})
	if got := c.Header.Get(twiliotest.SignatureHeader); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if c.RequestURI != "" {
		t.Fatal("client request got a RequestURI")
	}
}
