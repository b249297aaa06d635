package twiml

import (
	"errors"
	"fmt"
	"net/url"
)

// Errors from ParseCall.
var (
	// ErrMissingCallSid reports a voice webhook without CallSid.
	ErrMissingCallSid = errors.New("twiml: webhook has no CallSid")
	// ErrMissingAccountSid reports a voice webhook without AccountSid.
	ErrMissingAccountSid = errors.New("twiml: webhook has no AccountSid")
)

// Call directions Twilio reports in Call.Direction.
const (
	DirectionInbound      = "inbound"
	DirectionOutboundAPI  = "outbound-api"
	DirectionOutboundDial = "outbound-dial"
)

// Call is Twilio's voice webhook request (the parameters Twilio sends to a
// number's or application's Voice URL), typed.
type Call struct {
	CallSid       string // CA…, unique per call leg
	AccountSid    string // AC…
	From          string // caller: E.164 number, SIP URI or client:name
	To            string // called party
	CallStatus    string // queued, ringing, in-progress, completed, busy, failed, no-answer, canceled
	Direction     string // inbound, outbound-api, outbound-dial
	ApiVersion    string // e.g. 2010-04-01
	ForwardedFrom string // number that forwarded the call, when the carrier says
	CallerName    string // CNAM lookup result, when enabled
	ParentCallSid string // parent leg for <Dial>ed and child calls
	CallToken     string // token for forwarding the call with its caller ID
	StirVerstat   string // SHAKEN/STIR verification status, e.g. TN-Validation-Passed-A

	FromCity, FromState, FromZip, FromCountry string // caller geography, when known
	ToCity, ToState, ToZip, ToCountry         string // callee geography, when known

	// Params holds every parameter as received, including ones not mapped
	// above (Digits, SpeechResult, AnsweredBy, custom parameters…).
	Params url.Values
}

// ParseCall maps webhook parameters (r.Form after ParseForm) onto a Call.
// It fails with ErrMissingCallSid or ErrMissingAccountSid; the returned Call
// still holds everything that was present.
func ParseCall(form url.Values) (Call, error) {
	c := Call{
		CallSid:       form.Get("CallSid"),
		AccountSid:    form.Get("AccountSid"),
		From:          form.Get("From"),
		To:            form.Get("To"),
		CallStatus:    form.Get("CallStatus"),
		Direction:     form.Get("Direction"),
		ApiVersion:    form.Get("ApiVersion"),
		ForwardedFrom: form.Get("ForwardedFrom"),
		CallerName:    form.Get("CallerName"),
		ParentCallSid: form.Get("ParentCallSid"),
		CallToken:     form.Get("CallToken"),
		StirVerstat:   form.Get("StirVerstat"),
		FromCity:      form.Get("FromCity"),
		FromState:     form.Get("FromState"),
		FromZip:       form.Get("FromZip"),
		FromCountry:   form.Get("FromCountry"),
		ToCity:        form.Get("ToCity"),
		ToState:       form.Get("ToState"),
		ToZip:         form.Get("ToZip"),
		ToCountry:     form.Get("ToCountry"),
		Params:        cloneValues(form),
	}
	if c.From == "" {
		c.From = form.Get("Caller")
	}
	if c.To == "" {
		c.To = form.Get("Called")
	}
	switch {
	case c.CallSid == "":
		return c, ErrMissingCallSid
	case c.AccountSid == "":
		return c, fmt.Errorf("%w (CallSid %s)", ErrMissingAccountSid, c.CallSid)
	}
	return c, nil
}

// Values encodes c back into webhook parameters (the inverse of ParseCall
// for the mapped fields; Params are the base).
func (c Call) Values() url.Values {
	v := cloneValues(c.Params)
	if v == nil {
		v = url.Values{}
	}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("CallSid", c.CallSid)
	set("AccountSid", c.AccountSid)
	set("From", c.From)
	set("To", c.To)
	set("CallStatus", c.CallStatus)
	set("Direction", c.Direction)
	set("ApiVersion", c.ApiVersion)
	set("ForwardedFrom", c.ForwardedFrom)
	set("CallerName", c.CallerName)
	set("ParentCallSid", c.ParentCallSid)
	set("CallToken", c.CallToken)
	set("StirVerstat", c.StirVerstat)
	set("FromCity", c.FromCity)
	set("FromState", c.FromState)
	set("FromZip", c.FromZip)
	set("FromCountry", c.FromCountry)
	set("ToCity", c.ToCity)
	set("ToState", c.ToState)
	set("ToZip", c.ToZip)
	set("ToCountry", c.ToCountry)
	return v
}

// LocalNumber returns the number that belongs to the Twilio account: To on
// inbound calls, From on outbound ones.
func (c Call) LocalNumber() string {
	if c.Direction == "" || c.Direction == DirectionInbound {
		return c.To
	}
	return c.From
}

// RemoteNumber returns the other party: From on inbound calls, To on
// outbound ones.
func (c Call) RemoteNumber() string {
	if c.Direction == "" || c.Direction == DirectionInbound {
		return c.From
	}
	return c.To
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
