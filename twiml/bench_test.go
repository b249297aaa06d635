package twiml_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
	gotwiml "github.com/twilio/twilio-go/twiml"
)

// BenchmarkVoiceWebhook measures a signed voice webhook end to end:
// signature check, parsing, table policy, TwiML rendering.
func BenchmarkVoiceWebhook(b *testing.B) {
	var table twiml.MemoryTable
	_ = table.SetNumber(ourNumber, twiml.Rule{Enabled: true})
	h := twiml.Validator{AuthToken: authToken, PublicURL: publicBase, Logger: quiet}.Middleware(&twiml.VoiceHandler{
		Stream:       twiml.StreamOptions{URL: mediaURL},
		Policy:       twiml.TablePolicy{Table: &table},
		Continuation: []gotwiml.Element{&gotwiml.VoiceDial{Number: "+15553334444"}},
		Logger:       quiet,
	})
	params := twiliotest.VoiceParams("AC1", "CA1", caller, ourNumber)
	body := params.Encode()
	sig := twiliotest.Signature(authToken, publicBase+"/voice", params)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/voice", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set(twiml.SignatureHeader, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkResponseXML measures building and rendering <Start><Stream> + <Dial>.
func BenchmarkResponseXML(b *testing.B) {
	opts := twiml.StreamOptions{Name: "callguard", URL: mediaURL, Parameters: map[string]string{"callSid": "CA1", "from": caller, "to": ourNumber}}
	b.ReportAllocs()
	for b.Loop() {
		var r twiml.Response
		if err := r.StartStream(opts); err != nil {
			b.Fatal(err)
		}
		r.Dial("+15553334444")
		if _, err := r.XML(); err != nil {
			b.Fatal(err)
		}
	}
}
