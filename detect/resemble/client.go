package resemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/internal/ctxwait"
)

// Defaults applied to zero Client fields.
const (
	DefaultBaseURL         = "https://app.resemble.ai/api/v2"
	DefaultRate            = 40 // requests per second, client-wide
	DefaultBurst           = 10
	DefaultPollInterval    = 2 * time.Second
	DefaultMaxPollInterval = 10 * time.Second
	DefaultMaxRetries      = 3
	DefaultRetryBackoff    = 500 * time.Millisecond
	DefaultMaxRetryBackoff = 8 * time.Second
	// DefaultAttemptTimeout bounds one HTTP attempt when
	// Client.AttemptTimeout is zero: a request that hangs longer is
	// abandoned and retried like a 5xx.
	DefaultAttemptTimeout = 20 * time.Second
	// DefaultUploadThreshold is the WAV size above which Detect uploads via
	// POST /secure_uploads and sends a media_token (direct uploads are
	// limited to 150 MB).
	DefaultUploadThreshold = 100 << 20
	// Vendor is the default Verdict.Vendor.
	Vendor = "resemble"
	// DefaultMaxIdleConns is how many idle keep-alive connections the
	// default HTTPClient keeps to the API host.
	DefaultMaxIdleConns = 256
	// maxBody bounds how much of an answer is read.
	maxBody = 16 << 20
)

// Client is a Resemble Detect (REST API v2) client. It implements
// detect.Detector and is safe for concurrent use; share one Client between
// sessions so its rate limiter is shared. A Client must not be copied after
// first use. The zero value needs only APIKey.
type Client struct {
	// APIKey is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// BaseURL is the API root (default DefaultBaseURL).
	BaseURL string
	// HTTPClient sends requests. The default is a client of its own whose
	// transport is http.DefaultTransport's settings with up to
	// DefaultMaxIdleConns idle keep-alive connections to the API host:
	// http.DefaultTransport keeps only two per host, so hundreds of
	// concurrent calls would open (and TLS-handshake) a new connection for
	// almost every window.
	HTTPClient *http.Client
	// Limiter paces every request the client makes, polls and retries
	// included (default: DefaultRate per second, burst DefaultBurst, created
	// once per Client).
	Limiter *rate.Limiter

	// Options are sent with every Detect.
	Options Options
	// Async submits without "Prefer: wait" and polls GET /detect/{uuid}.
	Async bool
	// PollInterval is the first poll delay (default 2 s); it grows by half
	// each poll up to MaxPollInterval (default 10 s). Polling is bounded by
	// the context.
	PollInterval, MaxPollInterval time.Duration
	// MaxRetries is how many times a request is retried after a 429, a 5xx
	// or a transport error or timeout (default 3; negative: never).
	// 4xx answers other than 429 are never retried. A POST retried after
	// a transport error may have reached Resemble (and been billed) once.
	MaxRetries int
	// RetryBackoff is the first retry delay (default 500 ms), doubled per
	// retry up to MaxRetryBackoff (default 8 s), with jitter. A 429's
	// Retry-After header overrides it.
	RetryBackoff, MaxRetryBackoff time.Duration
	// AttemptTimeout bounds each HTTP attempt (default
	// DefaultAttemptTimeout; negative: only the context bounds it). An
	// attempt that times out is retried.
	AttemptTimeout time.Duration
	// UploadThreshold is the WAV size in bytes above which Detect uses the
	// secure upload flow (default DefaultUploadThreshold; negative: never).
	UploadThreshold int
	// Vendor is set on every Verdict (default "resemble").
	Vendor string
	// Logger receives retry warnings (default: discard).
	Logger *slog.Logger

	once    sync.Once
	limiter *rate.Limiter
	hc      *http.Client
	hmu     sync.Mutex
	headers map[int][]byte
	bufs    sync.Pool // *[]byte request bodies
}

var _ detect.Detector = (*Client)(nil)

func (c *Client) init() {
	c.once.Do(func() {
		c.limiter = c.Limiter
		if c.limiter == nil {
			c.limiter = rate.NewLimiter(DefaultRate, DefaultBurst)
		}
		c.hc = c.HTTPClient
		if c.hc == nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.MaxIdleConns = DefaultMaxIdleConns
			t.MaxIdleConnsPerHost = DefaultMaxIdleConns
			c.hc = &http.Client{Transport: t}
		}
	})
}

func (c *Client) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) httpClient() *http.Client {
	c.init()
	return c.hc
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) vendor() string {
	if c.Vendor == "" {
		return Vendor
	}
	return c.Vendor
}

func durOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Detect implements detect.Detector: it submits the clip as a 16-bit PCM
// mono WAV (POST /detect, "Prefer: wait" unless Async), polls until the
// detection is completed or failed, and maps the answer to a Verdict. Label
// comes from metrics.label; Score from metrics.aggregated_score or the mean
// of metrics.score; ID is the detect uuid; Raw is the final JSON answer.
func (c *Client) Detect(ctx context.Context, clip detect.Clip) (detect.Verdict, error) {
	t0 := time.Now()
	d, err := c.Submit(ctx, clip)
	if err != nil {
		return detect.Verdict{}, err
	}
	if !d.Done() {
		if d, err = c.Wait(ctx, d.UUID); err != nil {
			return detect.Verdict{}, err
		}
	}
	v, err := c.verdict(d)
	if err != nil {
		return detect.Verdict{}, err
	}
	v.CallSid, v.Track, v.Start = clip.CallSid, clip.Track, clip.Start
	v.End = clip.Start + clip.Duration()
	v.Latency = time.Since(t0)
	return v, nil
}

// Verdict maps a finished Detection to a detect.Verdict (Vendor "resemble"
// unless vendor is given).
func (d *Detection) Verdict(vendor string) (detect.Verdict, error) {
	if vendor == "" {
		vendor = Vendor
	}
	v := detect.Verdict{Vendor: vendor, ID: d.UUID, Raw: d.Raw}
	switch strings.ToLower(d.Status) {
	case StatusFailed:
		msg := d.ErrorMessage
		if msg == "" {
			msg = "no error_message"
		}
		return v, fmt.Errorf("%w: detect %s: %s", ErrDetectionFailed, d.UUID, msg)
	case StatusCompleted, "":
	default:
		return v, fmt.Errorf("%w: detect %s has status %q", ErrMalformed, d.UUID, d.Status)
	}
	score, ok := d.Score()
	label := strings.ToLower(strings.TrimSpace(d.Metrics.Label))
	switch {
	case !ok && label == "":
		return v, fmt.Errorf("%w: detect %s has neither label nor score", ErrMalformed, d.UUID)
	case label == "fake":
		v.Label = detect.Fake
	case label == "real":
		v.Label = detect.Real
	case label == "" && score >= 0.5:
		v.Label = detect.Fake
	case label == "":
		v.Label = detect.Real
	default:
		return v, fmt.Errorf("%w: detect %s has label %q", ErrMalformed, d.UUID, d.Metrics.Label)
	}
	if !ok {
		return v, fmt.Errorf("%w: detect %s has a label but no score", ErrMalformed, d.UUID)
	}
	v.Score = min(max(score, 0), 1)
	return v, nil
}

func (c *Client) verdict(d *Detection) (detect.Verdict, error) { return d.Verdict(c.vendor()) }

// Submit sends the clip to POST /detect and returns the detect object as
// answered: completed when "Prefer: wait" was honoured, else processing.
// Clips whose WAV exceeds UploadThreshold go through SecureUpload first.
func (c *Client) Submit(ctx context.Context, clip detect.Clip) (*Detection, error) {
	if err := clip.Validate(); err != nil {
		return nil, err
	}
	var b body
	size := wavHeaderLen + 2*len(clip.Samples)
	if th := c.UploadThreshold; th >= 0 && size > durInt(th, DefaultUploadThreshold) {
		wavData, err := AppendWAV(make([]byte, 0, size), clip.Samples, clip.SampleRate)
		if err != nil {
			return nil, err
		}
		token, err := c.SecureUpload(ctx, FileName(clip), wavData)
		if err != nil {
			return nil, err
		}
		m := map[string]any{"media_token": token}
		c.Options.jsonFields(m)
		data, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		b = body{data: data, contentType: "application/json"}
	} else {
		var err error
		if b, err = c.multipartBody(clip, c.Options); err != nil {
			return nil, err
		}
	}
	respBody, err := c.do(ctx, http.MethodPost, "/detect", b, !c.Async)
	b.release()
	if err != nil {
		return nil, err
	}
	return parseDetection(respBody)
}

func durInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Get fetches a detect object: GET /detect/{uuid}.
func (c *Client) Get(ctx context.Context, uuid string) (*Detection, error) {
	if uuid == "" {
		return nil, fmt.Errorf("%w: Get: empty uuid", ErrNotFound)
	}
	b, err := c.do(ctx, http.MethodGet, "/detect/"+url.PathEscape(uuid), body{}, false)
	if err != nil {
		return nil, err
	}
	return parseDetection(b)
}

// Wait polls GET /detect/{uuid} until the detection is completed or failed,
// starting at PollInterval and growing to MaxPollInterval; ctx bounds it.
func (c *Client) Wait(ctx context.Context, uuid string) (*Detection, error) {
	if uuid == "" {
		return nil, fmt.Errorf("%w: processing answer without uuid", ErrMalformed)
	}
	interval := durOr(c.PollInterval, DefaultPollInterval)
	maxInterval := max(durOr(c.MaxPollInterval, DefaultMaxPollInterval), interval)
	for {
		if err := ctxwait.Sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("resemble: waiting for detect %s: %w", uuid, err)
		}
		d, err := c.Get(ctx, uuid)
		if err != nil {
			return nil, err
		}
		if d.Done() {
			return d, nil
		}
		interval = nextPoll(interval, maxInterval)
	}
}

// nextPoll returns the delay before the poll after one that waited d: half
// as long again, at most ceil (2 s, 3 s, 4.5 s, 6.75 s, 10 s, 10 s… with the
// defaults).
func nextPoll(d, ceil time.Duration) time.Duration {
	return min(d+d/2, ceil)
}

// SecureUpload uploads a media file (POST /secure_uploads, multipart field
// "file") and returns the short-lived media_token to pass to POST /detect.
func (c *Client) SecureUpload(ctx context.Context, filename string, data []byte) (string, error) {
	var buf bytes.Buffer
	buf.Grow(len(data) + multipartOverhead)
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("file", filename)
	if err != nil {
		return "", err
	}
	if _, err := part.Write(data); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	respBody, err := c.do(ctx, http.MethodPost, "/secure_uploads", body{data: buf.Bytes(), contentType: mw.FormDataContentType()}, false)
	if err != nil {
		return "", err
	}
	var env struct {
		Token      string `json:"token"`
		MediaToken string `json:"media_token"`
		Item       struct {
			Token string `json:"token"`
		} `json:"item"`
	}
	if err := json.Unmarshal(respBody, &env); err != nil {
		return "", fmt.Errorf("%w: secure upload: %v", ErrMalformed, err)
	}
	for _, t := range []string{env.Token, env.MediaToken, env.Item.Token} {
		if t != "" {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: secure upload answer has no token", ErrMalformed)
}

// readAll reads at most maxBody bytes of r.
func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = fmt.Errorf("%w: answer larger than %d bytes", ErrMalformed, maxBody)
	}
	return b, err
}
