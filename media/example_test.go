package media_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
)

func ExampleAccept() {
	const authToken = "your-auth-token"
	const publicURL = "wss://callguard.example.com/stream" // as given to Twilio in <Stream url>

	done := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		s, err := media.Accept(w, r, &media.AcceptOptions{AuthToken: authToken, PublicURL: publicURL})
		if err != nil {
			fmt.Println("rejected:", err) // a 403 has been sent
			return
		}
		defer s.Close()
		start, err := s.ReadStart(r.Context())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("call", start.CallSid, "tracks", start.Tracks, "caller", start.CustomParameters["caller"])
		var audio time.Duration
		for {
			f, err := s.ReadFrame(r.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Println(err)
				return
			}
			audio += f.Duration()
		}
		fmt.Println("received", audio, "of audio")
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// Twilio's side, emulated.
	ctx := context.Background()
	call, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{
		AuthToken:        authToken,
		SignURL:          publicURL,
		CallSid:          "CA0123",
		CustomParameters: map[string]string{"caller": "+15550100"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	call.SendPCM(ctx, media.TrackInbound, make([]int16, 8000)) // 1 s
	call.Stop(ctx)
	<-done
	// Output:
	// call CA0123 tracks [inbound] caller +15550100
	// received 1s of audio
}

func ExampleStream_ReadFrame() {
	done := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		s, err := media.Accept(w, r, &media.AcceptOptions{
			OnEvent: func(m *media.Message) {
				if m.Event == media.EventDTMF {
					fmt.Println("key", m.DTMF.Digit)
				}
			},
		})
		if err != nil {
			return
		}
		defer s.Close()
		for {
			f, err := s.ReadFrame(r.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Println(err)
				return
			}
			if f.Gap > 0 {
				fmt.Printf("%s at %v: %v of skipped audio filled with silence\n", f.Track, f.Timestamp, f.Gap)
			}
		}
		st := s.Stats().Tracks[media.TrackInbound]
		fmt.Printf("frames %d, gaps %d, silence %v\n", st.Frames, st.Gaps, st.Silence)
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	ctx := context.Background()
	call, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	tone := make([]int16, 1600) // 200 ms
	for i := range tone {
		tone[i] = int16(4000 * (i%16 - 8))
	}
	call.SendPCM(ctx, media.TrackInbound, tone)
	call.Skip(media.TrackInbound, 60*time.Millisecond) // Twilio left out silence
	call.SendPCM(ctx, media.TrackInbound, tone)
	call.SendDTMF(ctx, "5")
	call.Stop(ctx)
	<-done
	// Output:
	// inbound at 200ms: 60ms of skipped audio filled with silence
	// key 5
	// frames 20, gaps 1, silence 60ms
}

func ExampleParseMessage() {
	frame := []byte(`{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/39+AA=="},"streamSid":"MZ123"}`)
	m, err := media.ParseMessage(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Event, m.SequenceNumber, m.Media.Track, m.Media.Chunk, m.Media.Timestamp, m.Media.Payload)

	_, err = media.ParseMessage([]byte(`{"event":"media","media":{"chunk":"one","payload":""}}`))
	var me *media.MalformedError
	if errors.As(err, &me) {
		fmt.Println("malformed field:", me.Field)
	}
	// Output:
	// media 3 inbound 1 5ms [255 127 126 0]
	// malformed field: media.chunk
}

func ExampleMessage_MarshalJSON() {
	// What a server sends on a bidirectional stream: Twilio's wire format.
	b, _ := json.Marshal(media.Message{Event: media.EventMark, StreamSid: "MZ123", Mark: &media.Mark{Name: "greeting-end"}})
	fmt.Println(string(b))
	b, _ = json.Marshal(media.Message{Event: media.EventMedia, StreamSid: "MZ123", Media: &media.Media{Payload: []byte{0xFF, 0x7F}}})
	fmt.Println(string(b))
	// Output:
	// {"event":"mark","mark":{"name":"greeting-end"},"streamSid":"MZ123"}
	// {"event":"media","media":{"payload":"/38="},"streamSid":"MZ123"}
}

func ExampleDecodeUlaw() {
	pcm := make([]int16, 0, 160) // reused for every frame: no allocation
	pcm = media.DecodeUlaw(pcm[:0], []byte{0xFF, 0x80, 0x00})
	fmt.Println(pcm)
	fmt.Println(media.EncodeUlaw(nil, pcm))
	// Output:
	// [0 32124 -32124]
	// [255 128 0]
}
