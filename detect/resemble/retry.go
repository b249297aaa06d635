package resemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callguard/callguard/internal/ctxwait"
)

// do sends one API request with rate limiting and retries, and returns the
// body of a 2xx answer. Errors are *APIError for non-2xx answers, the
// context's error (wrapped) on cancellation, or the last transport error.
func (c *Client) do(ctx context.Context, method, path string, b body, wait bool) ([]byte, error) {
	c.init()
	retries := c.MaxRetries
	if retries == 0 {
		retries = DefaultMaxRetries
	}
	retries = max(retries, 0)
	u := c.baseURL() + path
	for attempt := 0; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("resemble: %s %s: rate limiter: %w", method, path, errors.Join(ctx.Err(), err))
		}
		status, hdr, respBody, err := c.once1(ctx, method, u, b, wait)
		var delay time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("resemble: %s %s: %w", method, path, ctx.Err())
			}
			if attempt >= retries {
				return nil, fmt.Errorf("resemble: %s %s: giving up after %d attempts: %w", method, path, attempt+1, err)
			}
			delay = c.backoff(attempt)
			c.logger().Warn("resemble: request failed, retrying", "method", method, "path", path, "attempt", attempt+1, "err", err, "delay", delay)
		case status >= 200 && status < 300:
			return respBody, nil
		default:
			apiErr := parseAPIError(status, respBody)
			apiErr.Attempts = attempt + 1
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				apiErr.RetryAfter = retryAfter(hdr.Get("Retry-After"), time.Now())
			}
			if !apiErr.Temporary() || attempt >= retries {
				return nil, apiErr
			}
			delay = apiErr.RetryAfter
			if delay <= 0 {
				delay = c.backoff(attempt)
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
				// Waiting would outlive the context: give up now with the answer.
				return nil, apiErr
			}
			c.logger().Warn("resemble: retrying", "method", method, "path", path, "status", status, "attempt", attempt+1, "delay", delay)
		}
		if err := ctxwait.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("resemble: %s %s: %w", method, path, err)
		}
	}
}

// once1 makes one HTTP attempt.
func (c *Client) once1(ctx context.Context, method, u string, b body, wait bool) (int, http.Header, []byte, error) {
	if d := c.attemptTimeout(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var rc io.ReadCloser
	if b.data != nil {
		rc = b.open()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rc)
	if err != nil {
		if rc != nil {
			rc.Close()
		}
		return 0, nil, nil, err
	}
	if rc != nil {
		req.ContentLength = int64(len(b.data))
		req.GetBody = func() (io.ReadCloser, error) { return b.open(), nil }
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("Accept", "application/json")
	if b.contentType != "" {
		req.Header.Set("Content-Type", b.contentType)
	}
	if wait {
		req.Header.Set("Prefer", "wait")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := readAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, data, nil
}

// attemptTimeout returns the bound on one HTTP attempt; 0 means none.
func (c *Client) attemptTimeout() time.Duration {
	switch {
	case c.AttemptTimeout < 0:
		return 0
	case c.AttemptTimeout == 0:
		return DefaultAttemptTimeout
	}
	return c.AttemptTimeout
}

// backoff returns the jittered delay before retry attempt+1: base·2^attempt
// capped at the maximum, then drawn uniformly from [d/2, d].
func (c *Client) backoff(attempt int) time.Duration {
	base := durOr(c.RetryBackoff, DefaultRetryBackoff)
	ceil := max(durOr(c.MaxRetryBackoff, DefaultMaxRetryBackoff), base)
	d := base
	for i := 0; i < attempt && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
