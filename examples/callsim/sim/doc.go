// Package sim is the engine of callsim: it plays Twilio against a callguard
// server and measures the system end to end.
//
// Run places Config.Calls calls. Each call is a signed voice webhook
// (PostSigned, VoiceWebhook), the TwiML answer's <Stream> (ParseTwiML), a
// media WebSocket opened with media/mediatest (signed upgrade, connected,
// start), 20 ms μ-law frames paced in real time (or not) with optional
// silence skipping, and stop. Calls start evenly over Config.Ramp (Ramp,
// RampDelay). With Config.Watch set, Watch follows GET /v1/events
// (SSEReader, DecodeEvent, DecodeVerdict) and matches verdicts to calls.
//
// The Report gathers what callsim saw (frames sent, verdicts, latencies as
// Summary percentiles) with what the server reports: /metrics deltas
// (ParseMetrics, Histogram, BucketQuantile) and CPU and RSS read from
// /proc/<pid> (ReadProc) or from the process metrics.
//
//	audio, _ := sim.DecodeWAV("hello.wav", wavBytes) // any rate → 8 kHz
//	rep, err := sim.Run(ctx, sim.Config{
//		Server: "http://localhost:8080", AuthToken: token, APIToken: apiToken,
//		Audio: audio, Calls: 10, Ramp: time.Second, Realtime: true, Watch: true,
//	})
//	rep.WriteText(os.Stdout)
package sim
