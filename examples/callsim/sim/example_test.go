package sim_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/callguard/callguard/examples/callsim/sim"
)

func ExampleParseTwiML() {
	answer := `<Response><Start><Stream url="wss://calls.example.com/twilio/media" track="both_tracks">
		<Parameter name="detection" value="det_1"/></Stream></Start><Pause length="3600"/></Response>`
	streams, err := sim.ParseTwiML(strings.NewReader(answer))
	if err != nil {
		panic(err)
	}
	s := streams[0]
	dial, _ := sim.DialURL("http://127.0.0.1:8080", s.URL)
	fmt.Println(s.URL, s.Track, s.Parameters["detection"])
	fmt.Println("dial", dial)
	// Output:
	// wss://calls.example.com/twilio/media both_tracks det_1
	// dial ws://127.0.0.1:8080/twilio/media
}

func ExampleSummarize() {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := sim.Summarize(d)
	fmt.Println(s)
	// Output: n=200 p50 100ms p99 198ms max 200ms
}

func ExampleBucketQuantile() {
	m, _ := sim.ParseMetrics(strings.NewReader(`
# TYPE callguard_vendor_latency_seconds histogram
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="0.25"} 0
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="0.5"} 90
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="1"} 100
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="+Inf"} 100
`))
	b := m.Histogram("callguard_vendor_latency_seconds")
	fmt.Printf("p50 %.3fs p99 %.3fs\n", sim.BucketQuantile(0.5, b), sim.BucketQuantile(0.99, b))
	// Output: p50 0.389s p99 0.950s
}

func ExampleSSEReader() {
	stream := ":ok\n\nid: 7\nevent: verdict\ndata: {\"type\":\"verdict\",\"call_sid\":\"CA1\",\"data\":{\"label\":\"fake\",\"end_ms\":3000}}\n\n"
	r := sim.NewSSEReader(strings.NewReader(stream))
	m, _ := r.Next()
	e, _ := sim.DecodeEvent(m)
	v, _ := sim.DecodeVerdict(e.Data)
	fmt.Println(e.ID, e.Type, e.CallSid, v.Label, v.End)
	// Output: 7 verdict CA1 fake 3s
}
