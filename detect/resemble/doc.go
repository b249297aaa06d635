// Package resemble is a client for Resemble AI's Detect API (REST v2) that
// implements detect.Detector.
//
//	c := &resemble.Client{APIKey: os.Getenv("RESEMBLE_API_KEY")}
//	v, err := c.Detect(ctx, detect.Clip{SampleRate: 16000, Samples: pcm})
//
// Share one Client between sessions: its rate limiter (default 40 requests/s)
// paces every request it makes, polls and retries included.
//
// Detect encodes the clip as a 16-bit PCM mono WAV (header layout from
// go-audio/wav, samples copied straight into the request body), sends it as
// the multipart field "file" to POST /detect with "Authorization: Bearer" and
// "Prefer: wait", plus any Options (frame_length, start_region, end_region,
// visualize, intelligence, audio_source_tracing, use_ood_detector,
// zero_retention_mode, callback_url). A clip whose WAV exceeds
// UploadThreshold is uploaded to POST /secure_uploads first and referred to
// by its media_token in a JSON POST /detect. If the answer is still
// "processing" (or Async is set) the client polls GET /detect/{uuid}, every
// 2 s growing to 10 s, until "completed" or "failed" or the context ends.
//
// The answer {"success":true,"item":{"uuid","status","metrics":{"label",
// "score":["0.91",…],"consistency","aggregated_score"},…}} is decoded
// tolerantly: numbers may be strings or numbers, fields may be missing.
// Verdict.Score is aggregated_score, else the mean of score; Label comes from
// label; ID is the uuid; Raw is the whole JSON answer; Vendor is "resemble"
// (Client.Vendor overrides it, e.g. "resemble-simulated").
//
// Errors: a non-2xx answer is an *APIError{StatusCode, Message, Errors}
// decoded from {"success":false,"message":…,"errors":{field:[…]}}, matching
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited or ErrServer with
// errors.Is. 401/403/404/422 (any 4xx but 429) are not retried; 429 waits for
// Retry-After; 5xx, transport errors and attempts that outlive
// AttemptTimeout (default 20 s) are retried with jittered exponential
// backoff, at most MaxRetries times. A "failed" detection gives
// ErrDetectionFailed; an answer that cannot be understood, ErrMalformed.
//
// What was verified, and where: endpoints, fields and shapes follow
// Resemble's documentation (docs.resemble.ai/detect/create and /detect/get:
// asynchronous by default, "Prefer: wait" to block, the example answer with
// string scores, frame_length 1–4 default 2) and Resemble's OpenAPI
// description as mirrored in github.com/api-evangelist/resemble-ai
// (openapi/resemble-ai-subpackage-deepfakedetection-api-openapi.yml: the
// multipart fields, "Exactly one of file, url, or media_token", statuses
// processing|completed|failed, the Error schema {success, error, errors,
// message}; openapi/…secureuploads…: POST /secure_uploads answering
// {"success":true,"token":…}, a JWT valid for one hour). Not documented
// there, so chosen defensively: the exact JSON of 401/429/5xx answers
// (parsed from message or error, with a text fallback), Retry-After (seconds
// or HTTP date), and Resemble's own rate limits (hence the configurable
// limiter).
package resemble
