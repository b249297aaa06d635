package twiml_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseCall(t *testing.T) {
	form := url.Values{
		"CallSid": {"CA123"}, "AccountSid": {"AC456"}, "From": {"+15550001111"}, "To": {"+15550002222"},
		"CallStatus": {"ringing"}, "Direction": {"inbound"}, "ApiVersion": {"2010-04-01"},
		"ForwardedFrom": {"+15550003333"}, "CallerName": {"ALICE"}, "FromCountry": {"US"}, "ToCity": {"BOSTON"},
		"StirVerstat": {"TN-Validation-Passed-A"}, "Digits": {"12"},
	}
	c, err := twiml.ParseCall(form)
	if err != nil {
		t.Fatal(err)
	}
	want := twiml.Call{
		CallSid: "CA123", AccountSid: "AC456", From: "+15550001111", To: "+15550002222",
		CallStatus: "ringing", Direction: "inbound", ApiVersion: "2010-04-01",
		ForwardedFrom: "+15550003333", CallerName: "ALICE", FromCountry: "US", ToCity: "BOSTON",
		StirVerstat: "TN-Validation-Passed-A",
	}
	if diff := cmp.Diff(want, c, cmpopts.IgnoreFields(twiml.Call{}, "Params")); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if c.Params.Get("Digits") != "12" {
		t.Fatal("unmapped parameter lost")
	}
	// Values round-trips the mapped fields.
	back, err := twiml.ParseCall(c.Values())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Fatalf("round trip (-first +second):\n%s", diff)
	}
	if c.LocalNumber() != "+15550002222" || c.RemoteNumber() != "+15550001111" {
		t.Fatalf("inbound local/remote = %s/%s", c.LocalNumber(), c.RemoteNumber())
	}
	c.Direction = twiml.DirectionOutboundAPI
	if c.LocalNumber() != "+15550001111" || c.RemoteNumber() != "+15550002222" {
		t.Fatalf("outbound local/remote = %s/%s", c.LocalNumber(), c.RemoteNumber())
	}
}

func TestParseCallCallerCalledFallback(t *testing.T) {
	c, err := twiml.ParseCall(url.Values{"CallSid": {"CA1"}, "AccountSid": {"AC1"}, "Caller": {"+1"}, "Called": {"+2"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.From != "+1" || c.To != "+2" {
		t.Fatalf("From/To = %q/%q", c.From, c.To)
	}
}

func TestParseCallErrors(t *testing.T) {
	c, err := twiml.ParseCall(url.Values{"AccountSid": {"AC1"}, "From": {"+1"}})
	if !errors.Is(err, twiml.ErrMissingCallSid) {
		t.Fatalf("err = %v", err)
	}
	if c.AccountSid != "AC1" || c.From != "+1" {
		t.Fatal("fields parsed before the error were lost")
	}
	if _, err := twiml.ParseCall(url.Values{"CallSid": {"CA1"}}); !errors.Is(err, twiml.ErrMissingAccountSid) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseCall(f *testing.F) {
	f.Add("CallSid=CA1&AccountSid=AC1&From=%2B1&To=%2B2&Direction=inbound")
	f.Add("Caller=%2B1&Called=%2B2")
	f.Add("CallSid=&AccountSid=")
	f.Add("%zz=1&&=&a=b=c")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil && form == nil {
			return
		}
		c, err := twiml.ParseCall(form)
		if err == nil && (c.CallSid == "" || c.AccountSid == "") {
			t.Fatalf("accepted call without sids: %+v", c)
		}
		if err == nil {
			back, err := twiml.ParseCall(c.Values())
			if err != nil {
				t.Fatalf("Values not parsable: %v", err)
			}
			if back.CallSid != c.CallSid || back.From != c.From || back.To != c.To {
				t.Fatalf("round trip changed call: %+v vs %+v", c, back)
			}
		}
	})
}
