package twiml_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/google/go-cmp/cmp"
	gotwiml "github.com/twilio/twilio-go/twiml"
)

func TestResponseStartStreamThenContinue(t *testing.T) {
	var r twiml.Response
	err := r.StartStream(twiml.StreamOptions{
		Name:                 "callguard",
		URL:                  "wss://media.example.com/stream",
		Track:                twiml.TrackBoth,
		StatusCallback:       "https://calls.example.com/stream-status",
		StatusCallbackMethod: "post",
		Parameters:           map[string]string{"callSid": "CA1", "tenant": "acme & co <x>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Say("Connecting you").Pause(2).Dial("+15550002222").Redirect("https://calls.example.com/next").Hangup()
	doc, err := r.XML()
	if err != nil {
		t.Fatal(err)
	}
	root := parseTwiML(t, doc)
	if diff := cmp.Diff([]string{"Start", "Say", "Pause", "Dial", "Redirect", "Hangup"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	start := root.Children[0]
	if len(start.Children) != 1 || start.Children[0].Name() != "Stream" {
		t.Fatalf("<Start> children: %v", verbNames(start))
	}
	stream := start.Children[0]
	for attr, want := range map[string]string{
		"name": "callguard", "url": "wss://media.example.com/stream", "track": "both_tracks",
		"statusCallback": "https://calls.example.com/stream-status", "statusCallbackMethod": "POST",
	} {
		if got, _ := stream.Attr(attr); got != want {
			t.Errorf("stream %s = %q, want %q", attr, got, want)
		}
	}
	if diff := cmp.Diff(map[string]string{"callSid": "CA1", "tenant": "acme & co <x>"}, stream.params(t)); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if got := strings.TrimSpace(root.Children[1].Text); got != "Connecting you" {
		t.Errorf("Say = %q", got)
	}
	if got, _ := root.Children[2].Attr("length"); got != "2" {
		t.Errorf("Pause length = %q", got)
	}
	if got := strings.TrimSpace(root.Children[3].Text); got != "+15550002222" {
		t.Errorf("Dial = %q", got)
	}
	if got := strings.TrimSpace(root.Children[4].Text); got != "https://calls.example.com/next" {
		t.Errorf("Redirect = %q", got)
	}
}

func TestResponseStopStream(t *testing.T) {
	var r twiml.Response
	if err := r.StopStream(""); !errors.Is(err, twiml.ErrEmptyName) {
		t.Fatalf("StopStream(\"\") = %v, want ErrEmptyName", err)
	}
	if err := r.StopStream("callguard"); err != nil {
		t.Fatal(err)
	}
	doc, err := r.XML()
	if err != nil {
		t.Fatal(err)
	}
	root := parseTwiML(t, doc)
	if len(root.Children) != 1 || root.Children[0].Name() != "Stop" {
		t.Fatalf("verbs = %v", verbNames(root))
	}
	stop := root.Children[0]
	if len(stop.Children) != 1 || stop.Children[0].Name() != "Stream" {
		t.Fatalf("<Stop> children = %v", verbNames(stop))
	}
	if name, _ := stop.Children[0].Attr("name"); name != "callguard" {
		t.Errorf("name = %q", name)
	}
	if _, ok := stop.Children[0].Attr("url"); ok {
		t.Error("<Stop><Stream> has a url attribute")
	}
}

func TestResponseStreamLimit(t *testing.T) {
	var r twiml.Response
	for i, name := range []string{"a", "b", "c", "d"} {
		if err := r.StartStream(twiml.StreamOptions{Name: name, URL: "wss://m.example.com/s"}); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	err := r.StartStream(twiml.StreamOptions{Name: "e", URL: "wss://m.example.com/s"})
	if !errors.Is(err, twiml.ErrTooManyStreams) {
		t.Fatalf("5th stream: %v, want ErrTooManyStreams", err)
	}
	if r.Len() != 4 {
		t.Fatalf("rejected stream was added: %d verbs", r.Len())
	}
	if _, err := r.XML(); err != nil {
		t.Fatalf("response with 4 streams: %v", err)
	}
}

func TestResponseDuplicateName(t *testing.T) {
	var r twiml.Response
	if err := r.StartStream(twiml.StreamOptions{Name: "x", URL: "wss://m.example.com/s"}); err != nil {
		t.Fatal(err)
	}
	if err := r.StartStream(twiml.StreamOptions{Name: "x", URL: "wss://m.example.com/t"}); !errors.Is(err, twiml.ErrDuplicateStreamName) {
		t.Fatalf("duplicate name: %v", err)
	}
	// Unnamed streams never collide.
	if err := r.StartStream(twiml.StreamOptions{URL: "wss://m.example.com/s"}); err != nil {
		t.Fatal(err)
	}
	if err := r.StartStream(twiml.StreamOptions{URL: "wss://m.example.com/s"}); err != nil {
		t.Fatal(err)
	}
}

func TestResponseAppendedStreamsAreCounted(t *testing.T) {
	var r twiml.Response
	var streams []gotwiml.Element
	for range 5 {
		streams = append(streams, &gotwiml.VoiceStream{Url: "wss://m.example.com/s"})
	}
	r.Append(&gotwiml.VoiceStart{InnerElements: streams})
	if _, err := r.XML(); !errors.Is(err, twiml.ErrTooManyStreams) {
		t.Fatalf("XML with 5 appended streams: %v, want ErrTooManyStreams", err)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("ServeHTTP of invalid response = %d", rec.Code)
	}
}

func TestResponseServeHTTP(t *testing.T) {
	r := twiml.NewResponse(&gotwiml.VoiceSay{Message: "hi"})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	root := parseTwiML(t, rec.Body.String())
	if diff := cmp.Diff([]string{"Say"}, verbNames(root)); diff != "" {
		t.Fatal(diff)
	}
}

func TestEmptyResponse(t *testing.T) {
	var r twiml.Response
	doc, err := r.XML()
	if err != nil {
		t.Fatal(err)
	}
	if root := parseTwiML(t, doc); len(root.Children) != 0 {
		t.Fatalf("children %v", verbNames(root))
	}
}
