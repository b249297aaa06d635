package twiml_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
	gotwiml "github.com/twilio/twilio-go/twiml"
)

// describe prints the verbs of a TwiML document and the attributes that
// matter, reading it back with encoding/xml (twilio-go's attribute order is
// not stable, so the raw string is not printed).
func describe(doc string) {
	var root struct {
		Verbs []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
			Stream  []struct {
				Name   string `xml:"name,attr"`
				URL    string `xml:"url,attr"`
				Track  string `xml:"track,attr"`
				Params []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"Parameter"`
			} `xml:"Stream"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(doc), &root); err != nil {
		fmt.Println("bad xml:", err)
		return
	}
	for _, v := range root.Verbs {
		fmt.Printf("<%s>%s\n", v.XMLName.Local, strings.TrimSpace(v.Text))
		for _, s := range v.Stream {
			fmt.Printf("  stream name=%s url=%s track=%s\n", s.Name, s.URL, s.Track)
			for _, p := range s.Params {
				fmt.Printf("    %s=%s\n", p.Name, p.Value)
			}
		}
	}
}

func ExampleResponse() {
	var r twiml.Response
	err := r.StartStream(twiml.StreamOptions{
		Name:       "callguard",
		URL:        "wss://media.example.com/stream",
		Track:      twiml.TrackInbound,
		Parameters: map[string]string{"callSid": "CA123"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Dial("+15550002222")
	doc, err := r.XML()
	if err != nil {
		fmt.Println(err)
		return
	}
	describe(doc)
	// Output:
	// <Start>
	//   stream name=callguard url=wss://media.example.com/stream track=inbound_track
	//     callSid=CA123
	// <Dial>+15550002222
}

func ExampleStreamOptions_Validate() {
	err := twiml.StreamOptions{URL: "wss://media.example.com/stream?call=CA123"}.Validate()
	fmt.Println(errors.Is(err, twiml.ErrQueryString))
	err = twiml.StreamOptions{URL: "wss://media.example.com/stream", Track: "inbound"}.Validate()
	fmt.Println(errors.Is(err, twiml.ErrInvalidTrack))
	// Output:
	// true
	// true
}

func ExampleValidator_Middleware() {
	const token = "0123456789abcdef0123456789abcdef"
	v := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com"}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Println("handler sees CallSid", r.PostForm.Get("CallSid"))
	}))

	params := twiliotest.VoiceParams("AC1", "CA1", "+15550001111", "+15550002222")
	signed := twiliotest.NewFormRequest(token, "https://calls.example.com/voice", params)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signed)
	fmt.Println(rec.Code)

	forged := twiliotest.NewFormRequest("not-the-token", "https://calls.example.com/voice", params)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, forged)
	fmt.Println(rec.Code)
	// Output:
	// handler sees CallSid CA1
	// 200
	// 403
}

func ExampleVoiceHandler() {
	var table twiml.MemoryTable
	_ = table.SetNumber("+15550002222", twiml.Rule{Enabled: true, Track: twiml.TrackBoth})
	h := &twiml.VoiceHandler{
		Stream:       twiml.StreamOptions{URL: "wss://media.example.com/stream"},
		Policy:       twiml.TablePolicy{Table: &table},
		Continuation: []gotwiml.Element{&gotwiml.VoiceDial{Number: "+15553334444"}},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, to := range []string{"+15550002222", "+15550009999"} {
		req := twiliotest.NewFormRequest("token", "https://calls.example.com/voice",
			twiliotest.VoiceParams("AC1", "CA1", "+15550001111", to))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("call to", to)
		describe(rec.Body.String())
	}
	// Output:
	// call to +15550002222
	// <Start>
	//   stream name=callguard url=wss://media.example.com/stream track=both_tracks
	//     accountSid=AC1
	//     callSid=CA1
	//     direction=inbound
	//     from=+15550001111
	//     to=+15550002222
	// <Dial>+15553334444
	// call to +15550009999
	// <Dial>+15553334444
}

func ExampleTablePolicy() {
	var table twiml.MemoryTable
	_ = table.SetAccount("AC1", twiml.Rule{Enabled: true})
	_ = table.SetNumber("+15550002222", twiml.Rule{Enabled: false})
	p := twiml.TablePolicy{Table: &table}
	for _, c := range []twiml.Call{
		{AccountSid: "AC1", To: "+15550002222"},
		{AccountSid: "AC1", To: "+15550003333"},
		{AccountSid: "AC2", To: "+15550003333"},
	} {
		d, _ := p.Decide(context.Background(), c)
		fmt.Println(d.Enabled, d.Reason)
	}
	// Output:
	// false number +15550002222
	// true account AC1
	// false default
}

func ExampleStreams() {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	call := srv.AddCall(twiliotest.Call{From: "+15550001111", To: "+15550002222"})

	ctx := context.Background()
	streams := twiml.Streams{Client: srv.Client()}
	sid, err := streams.Start(ctx, call.Sid, twiml.StreamOptions{Name: "callguard", URL: "wss://media.example.com/stream"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sid[:2], len(sid))
	if err := streams.Stop(ctx, call.Sid, "callguard"); err != nil {
		fmt.Println(err)
		return
	}
	state, _ := srv.Call(call.Sid)
	fmt.Println(state.Streams[0].Status)

	_, err = streams.Start(ctx, "CA00000000000000000000000000000000", twiml.StreamOptions{URL: "wss://media.example.com/stream"})
	var te *twiml.Error
	if errors.As(err, &te) {
		fmt.Println(te.Code, errors.Is(err, twiml.ErrCallNotFound))
	}
	// Output:
	// MZ 34
	// stopped
	// 20404 true
}

func ExampleCalls_Hangup() {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	call := srv.AddCall(twiliotest.Call{})
	calls := twiml.Calls{Client: srv.Client()}

	fmt.Println(calls.Hangup(context.Background(), call.Sid))
	err := calls.Hangup(context.Background(), call.Sid)
	fmt.Println(errors.Is(err, twiml.ErrCallNotInProgress))
	// Output:
	// <nil>
	// true
}

// NewRestClient points a real twilio-go client at another base URL, here
// the offline fake; in production leave BaseURL empty (or set it to a proxy).
func ExampleNewRestClient() {
	fake := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer fake.Close()
	call := fake.AddCall(twiliotest.Call{})

	rc, err := twiml.NewRestClient(twiml.RestClientOptions{
		AccountSid: fake.AccountSid(),
		Password:   fake.AuthToken(), // or Username: an API key SID, Password: its secret
		BaseURL:    fake.URL(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(twiml.Calls{Client: rc}.Hangup(context.Background(), call.Sid))
	state, _ := fake.Call(call.Sid)
	fmt.Println(state.Status)
	// Output:
	// <nil>
	// completed
}
