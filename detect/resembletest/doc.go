// Package resembletest is a faithful fake of the Resemble Detect API for
// tests and offline runs, importable by any package.
//
//	srv := resembletest.NewServer(resembletest.Options{Latency: 200 * time.Millisecond})
//	defer srv.Close()
//	c := srv.Client() // a *resemble.Client pointed at srv, fast polls and retries
//	v, _ := c.Detect(ctx, detect.Clip{SampleRate: 16000, Samples: resembletest.MarkerTone(16000, 16000)})
//	// v.Label == detect.Fake
//
// It serves POST /detect, GET /detect/{uuid} and POST /secure_uploads at the
// root and under /api/v2 with Resemble's JSON shapes — scores as strings,
// {"success":false,"message":…,"errors":{field:[…]}} errors — and checks
// what Resemble checks: a bearer token (401), a multipart "file" field or a
// JSON media_token (400), that the file is a real PCM WAV (400, decoded with
// go-audio/wav), and the option fields (frame_length 1–4, booleans, numbers).
// Without "Prefer: wait" it answers "processing" at once and completes after
// Options.Latency, as Resemble does; with it, it answers after the latency.
//
// Verdicts: by default (Analyze) the audio decides. Each frame_length chunk
// is scored by the share of its energy in a 1 kHz marker tone
// (MarkerFrequency): a chunk the tone dominates scores about 0.99, anything
// else about 0.02–0.17, and the label is "fake" when the mean is ≥ 0.5. Use
// MarkerTone to make "fake" audio and Voice to make voice-like "real" audio
// that passes detect's energy VAD. Options.Verdict scripts answers per
// request instead (e.g. keyed on Request.FileName, which the client builds
// from CallSid, Track and start).
//
// Faults: InjectFaults queues one Fault per following POST /detect (and
// Options.Fault decides per request): an HTTP status with Resemble's error
// shape (429 with Retry-After, 500, 503, 401, …), a hang until the client
// gives up, or "processing" for N polls before "completed". Result.Fail ends
// a detection with status "failed". Requests returns the request log.
//
// Memory stays bounded on long runs (the example server's simulated
// detector is this fake): the log keeps the last Options.MaxLog requests
// (10,000 by default), and detections and upload tokens are forgotten
// Options.Retention after they were created (an hour by default).
//
// The behaviour comes from Resemble's documentation and OpenAPI description
// (see package resemble); the marker-tone rule, the latency model and the
// url-intake refusal (the fake never fetches URLs) are the fake's own.
//
// For an in-process fake with no socket, NewDetector returns a client whose
// transport calls the Handler directly; its verdicts carry Vendor
// SimulatedVendor ("resemble-simulated"). NewHandler gives the bare
// http.Handler to mount anywhere.
package resembletest
