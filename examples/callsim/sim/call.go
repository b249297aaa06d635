package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
)

// ErrNoStream is reported for a call whose TwiML answer starts no
// <Stream>: the server declined to monitor it.
var ErrNoStream = errors.New("sim: TwiML answer starts no media stream")

// ErrServerClosed is reported for a call whose WebSocket the server closed
// before callsim sent stop.
var ErrServerClosed = errors.New("sim: server closed the media stream early")

// tracksFor returns the media tracks Twilio sends for a TwiML track
// attribute, unless override ("inbound" or "both") is set.
func tracksFor(twimlTrack, override string) []string {
	switch override {
	case "inbound":
		return []string{media.TrackInbound}
	case "both":
		return []string{media.TrackInbound, media.TrackOutbound}
	}
	switch twimlTrack {
	case "outbound_track":
		return []string{media.TrackOutbound}
	case "both_tracks":
		return []string{media.TrackInbound, media.TrackOutbound}
	default:
		return []string{media.TrackInbound}
	}
}

// call plays one call: voice webhook, media stream, stop.
func (r *runner) call(ctx context.Context, i int) {
	st := &callState{sid: NewSid("CA"), streamSid: NewSid("MZ")}
	r.mu.Lock()
	r.calls[st.sid] = st
	r.mu.Unlock()
	res := CallResult{Index: i, CallSid: st.sid, StreamSid: st.streamSid}
	err := r.play(ctx, st, &res)
	res.Err = err
	if r.cfg.OnCall != nil {
		defer r.cfg.OnCall(res)
	}
	if err != nil {
		r.failed.Add(1)
		kind := "call"
		var he *HTTPError
		var hs *mediatest.HandshakeError
		switch {
		case errors.As(err, &he):
			kind = fmt.Sprintf("webhook_%d", he.Status)
		case errors.As(err, &hs):
			kind = fmt.Sprintf("upgrade_%d", hs.StatusCode)
		case errors.Is(err, ErrNoStream):
			kind = "no_stream"
		case errors.Is(err, ErrServerClosed):
			kind = "server_closed"
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			kind = "cancelled"
		}
		r.fail(kind, fmt.Errorf("call %d %s: %w", i, st.sid, err))
		r.log.Debug("call failed", "call", i, "call_sid", st.sid, "err", err)
	}
}

func (r *runner) play(ctx context.Context, st *callState, res *CallResult) error {
	hook := VoiceWebhook{AccountSid: r.cfg.AccountSid, CallSid: st.sid, From: r.cfg.From, To: r.cfg.To}
	status, body, err := PostSigned(ctx, r.client, r.cfg.Server, r.cfg.PublicURL, "/twilio/voice", r.cfg.AuthToken, hook.Form())
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return &HTTPError{Op: "voice webhook", Status: status, Body: string(bytes.TrimSpace(body))}
	}
	streams, err := ParseTwiML(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if len(streams) == 0 {
		return ErrNoStream
	}
	sv := streams[0]
	dial, err := DialURL(r.cfg.Server, sv.URL)
	if err != nil {
		return err
	}
	tracks := tracksFor(sv.Track, r.cfg.TracksOverride())
	r.mu.Lock()
	st.expect = len(tracksFor(sv.Track, ""))
	r.mu.Unlock()
	c, err := mediatest.Dial(ctx, dial, mediatest.DialOptions{
		AuthToken:        r.cfg.AuthToken,
		SignURL:          sv.URL,
		AccountSid:       r.cfg.AccountSid,
		CallSid:          st.sid,
		StreamSid:        st.streamSid,
		Tracks:           tracks,
		CustomParameters: sv.Parameters,
		HTTPClient:       r.dialer,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	// Twilio posts stream status callbacks on its own, not in the media
	// path: send them in the background (Run waits for them).
	r.bg.Go(func() { r.streamStatus(ctx, sv, st, "stream-started") })
	defer r.bg.Go(func() { r.streamStatus(ctx, sv, st, "stream-stopped") })
	res.Streamed = true
	r.streamed.Add(1)
	r.active.Add(1)
	defer r.active.Add(-1)

	frames := len(r.pcm) / FrameSamples
	sent := make([]atomic.Int64, frames)
	begin := time.Now()
	r.mu.Lock()
	st.start = begin
	st.sent = sent
	r.mu.Unlock()

	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var lags []time.Duration
	if r.cfg.Realtime {
		lags = make([]time.Duration, 0, frames)
		defer func() { r.sendLag.AddAll(lags) }()
	}
	// Frames are written with a context that cannot be cancelled: with a
	// cancellable one, coder/websocket registers (and removes) a
	// context.AfterFunc on every write, on the run's context that every
	// call shares — measurable lock contention with a thousand calls.
	// Cancelling ctx still ends the call: it closes the connection, which
	// fails a blocked write.
	wctx := context.WithoutCancel(ctx)
	stopClose := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stopClose()
	// Frames go out pre-encoded (AppendMedia over the run's shared
	// payloads) with SendRaw, numbered after start (sequenceNumber 1):
	// byte-for-byte what mediatest's SendPCM would send, at a fraction of
	// the CPU, which matters when callsim shares the machine with the
	// server it measures.
	seq := int64(1)
	chunks := make([]int64, len(tracks))
	buf := make([]byte, 0, 512)
	for f := range frames {
		if r.cfg.Realtime && f > 0 {
			if wait := time.Until(begin.Add(time.Duration(f) * mediatest.FrameDuration)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return ctx.Err()
				case <-c.Done():
					return serverClosed(c)
				}
			}
		}
		select {
		case <-c.Done():
			return serverClosed(c)
		default:
		}
		sent[f].Store(int64(time.Since(begin)))
		if r.silent != nil && r.silent[f] {
			r.framesSkipped.Add(int64(len(tracks)))
			continue
		}
		ts := time.Duration(f) * mediatest.FrameDuration
		for i, tr := range tracks {
			seq++
			chunks[i]++
			buf = AppendMedia(buf[:0], st.streamSid, seq, tr, chunks[i], ts, r.payloads[f])
			if err := c.SendRaw(wctx, buf); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if isDone(c) {
					return serverClosed(c)
				}
				return err
			}
		}
		r.framesSent.Add(int64(len(tracks)))
		res.FramesSent += int64(len(tracks))
		if lags != nil {
			lags = append(lags, time.Since(begin.Add(ts)))
		}
	}
	if r.cfg.DropWithoutStop {
		return c.Close()
	}
	// stop, then wait for the server to close the socket, as Twilio does.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	seq++
	stop := fmt.Appendf(buf[:0], `{"event":"stop","sequenceNumber":"%d","streamSid":%q,"stop":{"accountSid":%q,"callSid":%q}}`,
		seq, st.streamSid, r.cfg.AccountSid, st.sid)
	if err := c.SendRaw(sctx, stop); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	select {
	case <-c.Done():
		if err := c.Err(); err != nil {
			return fmt.Errorf("stop: server closed with %w", err)
		}
		return nil
	case <-sctx.Done():
		return fmt.Errorf("stop: server did not close the stream: %w", sctx.Err())
	}
}

func isDone(c *mediatest.Call) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

func serverClosed(c *mediatest.Call) error {
	if err := c.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrServerClosed, err)
	}
	return ErrServerClosed
}

// streamStatus POSTs a signed stream status callback, as Twilio does when
// the <Stream> names a statusCallback; a failure is counted, not fatal.
func (r *runner) streamStatus(ctx context.Context, sv StreamVerb, st *callState, event string) {
	if sv.StatusCallback == "" || (sv.StatusCallbackMethod != "" && !strings.EqualFold(sv.StatusCallbackMethod, http.MethodPost)) {
		return
	}
	send, err := SendURL(r.cfg.Server, sv.StatusCallback)
	if err != nil {
		r.fail("stream_status", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	form := StreamStatusForm(r.cfg.AccountSid, st.sid, st.streamSid, sv.Name, event, time.Now())
	code, body, err := PostSignedURL(ctx, r.client, send, sv.StatusCallback, r.cfg.AuthToken, form)
	switch {
	case err != nil:
		r.fail("stream_status", err)
	case code/100 != 2:
		r.fail("stream_status", &HTTPError{Op: "stream status callback", Status: code, Body: string(bytes.TrimSpace(body))})
	}
}
