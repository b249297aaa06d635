// Command embed is the smallest callguard embedding: your own ServeMux,
// media.Accept for Twilio's audio, an 8→16 kHz resampler, a detect.Session
// judging each window, and every verdict printed. It uses the in-process
// Resemble fake (detect/resembletest); swap in &resemble.Client{APIKey: …}
// for real verdicts.
//
//	TWILIO_AUTH_TOKEN=… MEDIA_URL=wss://your.host/media go run ./examples/embed
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/resample"
)

func main() {
	detector, _ := resembletest.NewDetector(resembletest.Options{}) // simulated: judges by a marker tone
	mux := http.NewServeMux()
	mux.Handle("GET /media", Handler(detector, os.Getenv("TWILIO_AUTH_TOKEN"), os.Getenv("MEDIA_URL"), os.Stdout))
	log.Fatal(http.ListenAndServe("localhost:8080", mux))
}

// Handler accepts Twilio media streams (signed for mediaURL with authToken;
// an empty token accepts anyone, for local tests only) and prints one line
// per window of the caller's audio, then the call's decision.
func Handler(d detect.Detector, authToken, mediaURL string, out io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := media.Accept(w, r, &media.AcceptOptions{AuthToken: authToken, PublicURL: mediaURL})
		if err != nil {
			return // Accept already answered (403 for a bad signature)
		}
		defer st.Close()
		start, err := st.ReadStart(r.Context())
		if err != nil {
			return
		}
		rs, _ := resample.New(8000, 16000)
		sess := detect.NewSession(d, detect.SessionOptions{CallSid: start.CallSid, Track: "inbound",
			OnVerdict: func(v detect.Verdict) {
				fmt.Fprintf(out, "%s %5.1fs-%4.1fs %-9s score %.2f\n", v.CallSid, v.Start.Seconds(), v.End.Seconds(), v.Label, v.Score)
			}})
		var pcm []int16
		for {
			f, err := st.ReadFrame(r.Context())
			if err != nil {
				break // io.EOF when Twilio stops the stream
			}
			if f.Track == "inbound" {
				pcm = rs.Process(pcm[:0], f.Samples)
				_ = sess.Write(pcm)
			}
		}
		_ = sess.Write(rs.Flush(pcm[:0]))
		sum, _ := sess.Close(context.WithoutCancel(r.Context()))
		fmt.Fprintf(out, "%s decision: %s (%d windows, %d fake)\n", start.CallSid, sum.Decision, sum.Windows, sum.Fake)
	})
}
