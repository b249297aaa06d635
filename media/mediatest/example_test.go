package mediatest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
)

func ExampleDial() {
	// The server under test: here, one that counts frames and answers a
	// mark on a bidirectional stream.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, &media.AcceptOptions{AuthToken: "token", PublicURL: "wss://example.com/stream"})
		if err != nil {
			return
		}
		defer s.Close()
		frames := 0
		for {
			_, err := s.ReadFrame(r.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if frames++; frames == 10 {
				s.SendMark(r.Context(), "ten-frames")
			}
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	call, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{
		AuthToken: "token",
		SignURL:   "wss://example.com/stream", // what the server was told Twilio uses
		CallSid:   "CA42",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tone := make([]int16, 4000) // 500 ms: 25 frames
	for i := range tone {
		tone[i] = int16(3000 * (i%20 - 10))
	}
	if err := call.SendPCM(ctx, media.TrackInbound, tone); err != nil {
		fmt.Println(err)
		return
	}
	m, err := call.ReadMessage(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("server sent", m.Event, m.Mark.Name, "on", m.StreamSid == call.StreamSid())
	fmt.Println("stop:", call.Stop(ctx))
	// Output:
	// server sent mark ten-frames on true
	// stop: <nil>
}
