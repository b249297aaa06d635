package notify

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero WebhookOptions.
const (
	DefaultWebhookQueueSize   = 1024
	DefaultWebhookMaxAttempts = 5
	DefaultWebhookMinBackoff  = 500 * time.Millisecond
	DefaultWebhookMaxBackoff  = 30 * time.Second
	DefaultWebhookTimeout     = 10 * time.Second
)

// Webhook request headers besides SignatureHeader.
const (
	// EventIDHeader carries Event.ID when the event has one.
	EventIDHeader = "Callguard-Event-Id"
	// EventTypeHeader carries Event.Type.
	EventTypeHeader = "Callguard-Event-Type"
	// DeliveryIDHeader carries a random ID, the same on every attempt to
	// deliver one event to one endpoint: the key receivers deduplicate
	// by, since events published before a Hub numbers them have no ID.
	DeliveryIDHeader = "Callguard-Delivery-Id"
)

// Webhook errors.
var (
	// ErrQueueFull is returned (wrapped) by Webhook.Notify when an
	// endpoint's queue is full and the event is dropped for it.
	ErrQueueFull = errors.New("notify: webhook queue full, event dropped")
	// ErrWebhookClosed is returned by Webhook.Notify after Close.
	ErrWebhookClosed = errors.New("notify: webhook closed")
	// ErrBadWebhookOptions is wrapped by the errors NewWebhook returns
	// for options it cannot work with.
	ErrBadWebhookOptions = errors.New("notify: bad webhook options")
)

// WebhookOptions configures a Webhook.
type WebhookOptions struct {
	// URLs are the endpoints every event is POSTed to. Required.
	URLs []string
	// Secret keys the HMAC-SHA256 signature (see SignatureHeader).
	// Required.
	Secret string
	// Filter selects the events sent; the zero Filter sends all.
	Filter Filter
	// Client sends the requests. Nil uses a client with a
	// DefaultWebhookTimeout timeout.
	Client *http.Client
	// QueueSize bounds the events waiting for each endpoint. Default
	// DefaultWebhookQueueSize.
	QueueSize int
	// MaxAttempts is how many times one event is tried per endpoint.
	// Default DefaultWebhookMaxAttempts.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the jittered exponential wait
	// between attempts (a Retry-After answer is honoured up to
	// MaxBackoff). Defaults DefaultWebhookMinBackoff and
	// DefaultWebhookMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives drops and failed deliveries. Nil discards.
	Logger *slog.Logger
}

// WebhookStats counts a Webhook's work, summed over its endpoints.
type WebhookStats struct {
	// Queued counts events accepted into an endpoint's queue.
	Queued uint64
	// Delivered counts events an endpoint answered with 2xx.
	Delivered uint64
	// Retries counts attempts after the first.
	Retries uint64
	// Failed counts events given up on: attempts exhausted, a
	// non-retryable answer, or abandoned by Close.
	Failed uint64
	// Dropped counts events not queued because the queue was full.
	Dropped uint64
}

// Webhook is a Notifier that POSTs each event as JSON to a set of URLs,
// signed with HMAC-SHA256 (see SignatureHeader and VerifySignature). Each
// endpoint has its own bounded queue and worker, so one slow endpoint
// delays no other and Notify never blocks: when a queue is full the event
// is dropped for that endpoint, counted and logged. Failed attempts
// (network errors, 408, 425, 429 and 5xx answers) are retried with
// backoff; each attempt is signed afresh. Events reach one endpoint in
// the order they were published, but a receiver should still deduplicate
// by the DeliveryIDHeader, since a delivery whose answer was lost is
// retried.
type Webhook struct {
	opts    WebhookOptions
	log     *slog.Logger
	client  *http.Client
	targets []*target

	mu     sync.RWMutex
	closed bool

	abort   context.Context
	cancel  context.CancelFunc
	workers sync.WaitGroup

	queued, delivered, retries, failed, dropped atomic.Uint64
}

type target struct {
	url   string
	queue chan webhookJob
}

type webhookJob struct {
	id, typ, delivery string
	body              []byte
}

// NewWebhook validates opts and starts one worker per URL. Options it
// cannot work with give an error wrapping ErrBadWebhookOptions.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if len(opts.URLs) == 0 {
		return nil, fmt.Errorf("%w: no URLs", ErrBadWebhookOptions)
	}
	if opts.Secret == "" {
		return nil, fmt.Errorf("%w: empty secret", ErrBadWebhookOptions)
	}
	for _, u := range opts.URLs {
		p, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadWebhookOptions, err)
		}
		if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrBadWebhookOptions, u)
		}
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultWebhookQueueSize
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultWebhookMaxAttempts
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultWebhookMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultWebhookMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	w := &Webhook{opts: opts, log: opts.Logger, client: opts.Client}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.client == nil {
		w.client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	w.abort, w.cancel = context.WithCancel(context.Background())
	for _, u := range opts.URLs {
		t := &target{url: u, queue: make(chan webhookJob, opts.QueueSize)}
		w.targets = append(w.targets, t)
		w.workers.Add(1)
		go w.run(t)
	}
	return w, nil
}

// Notify queues e for every endpoint and returns at once. It returns an
// error wrapping ErrQueueFull when some endpoint's queue was full (the
// event is dropped for that endpoint only), ErrWebhookClosed after Close,
// or ErrInvalidEvent. Events that do not match Filter are ignored.
func (w *Webhook) Notify(_ context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if !w.opts.Filter.Match(e) {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	job := webhookJob{id: e.ID, typ: e.Type, body: body}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrWebhookClosed
	}
	var errs []error
	for _, t := range w.targets {
		job.delivery = deliveryID()
		select {
		case t.queue <- job:
			w.queued.Add(1)
		default:
			n := w.dropped.Add(1)
			w.log.Warn("notify: webhook queue full, event dropped",
				"url", t.url, "event_id", e.ID, "type", e.Type, "dropped_total", n)
			errs = append(errs, fmt.Errorf("%w: %s", ErrQueueFull, t.url))
		}
	}
	return errors.Join(errs...)
}

// Stats returns a snapshot of the counters.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{
		Queued:    w.queued.Load(),
		Delivered: w.delivered.Load(),
		Retries:   w.retries.Load(),
		Failed:    w.failed.Load(),
		Dropped:   w.dropped.Load(),
	}
}

// Close stops accepting events and delivers what is queued, retries
// included, until ctx is done; then it abandons the rest (counted as
// Failed) and returns an error wrapping ctx.Err().
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		for _, t := range w.targets {
			close(t.queue)
		}
	}
	w.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		w.workers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		w.cancel()
		return nil
	case <-ctx.Done():
		w.cancel()
		<-finished
		return fmt.Errorf("notify: webhook close: undelivered events abandoned: %w", ctx.Err())
	}
}

func (w *Webhook) run(t *target) {
	defer w.workers.Done()
	for job := range t.queue {
		if w.abort.Err() != nil {
			w.failed.Add(1)
			continue
		}
		w.deliver(t, job)
	}
}

// deliver tries job until it succeeds, fails for good or is aborted.
func (w *Webhook) deliver(t *target, job webhookJob) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			w.retries.Add(1)
		}
		retry, wait, err := w.post(t.url, job)
		if err == nil {
			w.delivered.Add(1)
			return
		}
		if !retry || attempt >= w.opts.MaxAttempts {
			w.failed.Add(1)
			w.log.Error("notify: webhook delivery failed",
				"url", t.url, "event_id", job.id, "attempts", attempt, "err", err)
			return
		}
		if wait <= 0 {
			wait = backoff(w.opts.MinBackoff, w.opts.MaxBackoff, attempt)
		}
		w.log.Debug("notify: webhook attempt failed, retrying",
			"url", t.url, "event_id", job.id, "attempt", attempt, "wait", wait, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-w.abort.Done():
			timer.Stop()
			w.failed.Add(1)
			return
		}
	}
}

// post makes one attempt. It reports whether a failure is worth
// retrying and how long the server asked to wait (Retry-After).
func (w *Webhook) post(u string, job webhookJob) (retry bool, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(w.abort, http.MethodPost, u, nil)
	if err != nil {
		return false, 0, err
	}
	req.Body = io.NopCloser(bytes.NewReader(job.body))
	req.ContentLength = int64(len(job.body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(job.body)), nil }
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callguard-webhook/1")
	req.Header.Set(SignatureHeader, Sign(w.opts.Secret, time.Now(), job.body))
	if job.id != "" {
		req.Header.Set(EventIDHeader, job.id)
	}
	req.Header.Set(EventTypeHeader, job.typ)
	req.Header.Set(DeliveryIDHeader, job.delivery)
	resp, err := w.client.Do(req)
	if err != nil {
		return true, 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, 0, nil
	case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, w.opts.MaxBackoff)
		}
		return true, wait, fmt.Errorf("notify: webhook %s answered %s", u, resp.Status)
	default:
		return false, 0, fmt.Errorf("notify: webhook %s answered %s", u, resp.Status)
	}
}

// backoff returns a jittered wait in [d/2, d] where d doubles from lo
// with each attempt, capped at hi.
func backoff(lo, hi time.Duration, attempt int) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

// deliveryID returns 128 random bits as text.
func deliveryID() string {
	return crand.Text()
}
