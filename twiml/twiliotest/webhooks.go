package twiliotest

import (
	"net/url"
	"time"
)

// VoiceParams returns the form parameters of a Twilio voice webhook for a
// new inbound call from → to, as Twilio posts them to a number's Voice URL.
func VoiceParams(accountSid, callSid, from, to string) url.Values {
	return url.Values{
		"AccountSid": {accountSid},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {callSid},
		"CallStatus": {"ringing"},
		"Called":     {to},
		"Caller":     {from},
		"Direction":  {"inbound"},
		"From":       {from},
		"To":         {to},
	}
}

// StreamStatusParams returns the form parameters of a Media Stream status
// callback (event is stream-started, stream-stopped or stream-error;
// streamError is sent only when non-empty).
func StreamStatusParams(accountSid, callSid, streamSid, streamName, event, streamError string, at time.Time) url.Values {
	v := url.Values{
		"AccountSid":  {accountSid},
		"CallSid":     {callSid},
		"StreamSid":   {streamSid},
		"StreamName":  {streamName},
		"StreamEvent": {event},
		"Timestamp":   {at.UTC().Format(time.RFC3339Nano)},
	}
	if streamError != "" {
		v.Set("StreamError", streamError)
	}
	return v
}
