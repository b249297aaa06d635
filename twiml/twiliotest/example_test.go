package twiliotest_test

import (
	"fmt"
	"net/url"

	"github.com/callguard/callguard/twiml/twiliotest"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func ExampleSignature() {
	// Twilio's documented example.
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	fmt.Println(twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
	// Output: 0/KCTR6DLpKmkAf8muzZqo1nDgQ=
}

func ExampleSignJSON() {
	u, sig := twiliotest.SignJSON("12345", "https://mycompany.com/myapp.php", []byte(`{"property": "value", "boolean": true}`))
	fmt.Println(u)
	fmt.Println(sig)
	// Output:
	// https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620
	// y77kIzt2vzLz71DgmJGsen2scGs=
}

func ExampleNewServer() {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	call := srv.AddCall(twiliotest.Call{From: "+15550001111", To: "+15550002222"})

	// A real twilio-go client, pointed at the fake.
	client := srv.Client()
	stream, err := client.Api.CreateStream(call.Sid, (&api.CreateStreamParams{}).
		SetUrl("wss://media.example.com/stream").SetName("callguard"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*stream.Name, *stream.Status)

	_, err = client.Api.UpdateCall(call.Sid, (&api.UpdateCallParams{}).SetStatus("completed"))
	fmt.Println(err)
	state, _ := srv.Call(call.Sid)
	fmt.Println(state.Status, state.Streams[0].Status)

	_, err = client.Api.UpdateCall(call.Sid, (&api.UpdateCallParams{}).SetStatus("completed"))
	fmt.Println(err != nil)
	for _, r := range srv.Requests() {
		fmt.Println(r.Op, r.Method)
	}
	// Output:
	// callguard in-progress
	// <nil>
	// completed stopped
	// true
	// CreateStream POST
	// UpdateCall POST
	// UpdateCall POST
}
