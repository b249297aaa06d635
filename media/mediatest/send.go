package mediatest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/callguard/callguard/internal/ctxwait"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/resample"
)

// SendOption changes how one Send call paces and filters audio.
type SendOption func(*sendConfig)

type sendConfig struct {
	realtime    bool
	skipSilence bool
	threshold   int16
}

// Realtime paces frames at one per 20 ms (on) or sends them as fast as
// possible (off), overriding DialOptions.Realtime.
func Realtime(on bool) SendOption { return func(c *sendConfig) { c.realtime = on } }

// SkipSilence leaves out silent frames (on) or sends every frame (off),
// overriding DialOptions.SkipSilence.
func SkipSilence(on bool) SendOption { return func(c *sendConfig) { c.skipSilence = on } }

func (c *Call) config(opts []SendOption) sendConfig {
	cfg := sendConfig{realtime: c.opts.Realtime, skipSilence: c.opts.SkipSilence, threshold: c.opts.SilenceThreshold}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// SendPCM streams 8 kHz PCM on track ("inbound" or "outbound") as 20 ms
// μ-law media messages numbered like Twilio's: chunk counts the track's
// messages from 1 and timestamp is the frame's position in milliseconds
// from the start of the stream. Audio that does not fill a last frame is
// kept for the next SendPCM on the track, or sent short by Flush and Stop.
func (c *Call) SendPCM(ctx context.Context, track string, pcm8k []int16, opts ...SendOption) error {
	return c.send2(ctx, []string{track}, [][]int16{pcm8k}, c.config(opts))
}

// SendBoth streams two tracks at once, alternating inbound and outbound
// frames as Twilio does for both_tracks.
func (c *Call) SendBoth(ctx context.Context, inbound, outbound []int16, opts ...SendOption) error {
	return c.send2(ctx, []string{media.TrackInbound, media.TrackOutbound}, [][]int16{inbound, outbound}, c.config(opts))
}

// StreamWAV streams a PCM WAV file on track like SendPCM, mixing channels to
// mono. Files not at 8 kHz are converted by DialOptions.Resample, or by
// package resample when it is nil; a rate it cannot convert fails with
// ErrSampleRate.
func (c *Call) StreamWAV(ctx context.Context, track string, r io.ReadSeeker, opts ...SendOption) error {
	pcm, rate, err := DecodeWAV(r)
	if err != nil {
		return err
	}
	if rate != media.SampleRate {
		conv := c.opts.Resample
		if conv == nil {
			conv = resampleTo8k
		}
		if pcm, err = conv(pcm, rate); err != nil {
			return fmt.Errorf("mediatest: resample %d Hz: %w", rate, err)
		}
	}
	return c.SendPCM(ctx, track, pcm, opts...)
}

// Flush sends every track's partial frame, shorter than 20 ms.
func (c *Call) Flush(ctx context.Context) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for name, t := range c.tracks {
		if len(t.rem) == 0 {
			continue
		}
		rem := t.rem
		t.rem = nil
		if err := c.sendFrameLocked(ctx, name, t, rem, sendConfig{}); err != nil {
			return err
		}
	}
	return nil
}

// send2 interleaves the tracks frame by frame.
func (c *Call) send2(ctx context.Context, tracks []string, pcms [][]int16, cfg sendConfig) error {
	for _, tr := range tracks {
		if tr == "" {
			return fmt.Errorf("mediatest: empty track name")
		}
	}
	// Prepend each track's partial frame from the previous call.
	c.wmu.Lock()
	bufs := make([][]int16, len(tracks))
	frames := 0
	for i, tr := range tracks {
		t := c.clock(tr)
		bufs[i] = append(t.rem, pcms[i]...)
		t.rem = nil
		frames = max(frames, len(bufs[i])/FrameSamples)
	}
	c.wmu.Unlock()

	for f := range frames {
		if cfg.realtime {
			// Frames are due every 20 ms, continuing from the last paced
			// send unless that clock has fallen behind.
			c.wmu.Lock()
			due := c.nextDue
			if now := time.Now(); due.Before(now) {
				due = now
			}
			c.nextDue = due.Add(FrameDuration)
			c.wmu.Unlock()
			if err := ctxwait.Sleep(ctx, time.Until(due)); err != nil {
				return err
			}
		}
		c.wmu.Lock()
		for i, tr := range tracks {
			if len(bufs[i]) < (f+1)*FrameSamples {
				continue
			}
			frame := bufs[i][f*FrameSamples : (f+1)*FrameSamples]
			if err := c.sendFrameLocked(ctx, tr, c.clock(tr), frame, cfg); err != nil {
				c.wmu.Unlock()
				return err
			}
		}
		c.wmu.Unlock()
	}
	c.wmu.Lock()
	for i, tr := range tracks {
		full := len(bufs[i]) / FrameSamples * FrameSamples
		if full < len(bufs[i]) {
			c.clock(tr).rem = append([]int16(nil), bufs[i][full:]...)
		}
	}
	c.wmu.Unlock()
	return nil
}

// sendFrameLocked sends one frame, or only advances the clock when the frame
// is silent and silence is skipped.
func (c *Call) sendFrameLocked(ctx context.Context, track string, t *trackClock, frame []int16, cfg sendConfig) error {
	ulaw := media.EncodeUlaw(nil, frame)
	ts := t.samples / (media.SampleRate / 1000)
	t.samples += int64(len(frame))
	if cfg.skipSilence && silent(ulaw, cfg.threshold) {
		return nil
	}
	t.chunk++
	return c.sendLocked(ctx, media.Message{Event: media.EventMedia, Media: &media.Media{
		Track:     track,
		Chunk:     t.chunk,
		Timestamp: time.Duration(ts) * time.Millisecond,
		Payload:   ulaw,
	}}, true)
}

// silent reports whether every quantized sample is within threshold of zero.
func silent(ulaw []byte, threshold int16) bool {
	for _, b := range ulaw {
		v := media.DecodeUlawSample(b)
		if v > threshold || v < -threshold {
			return false
		}
	}
	return true
}

// resampleTo8k converts a whole recording to 8 kHz with package resample.
func resampleTo8k(pcm []int16, rate int) ([]int16, error) {
	r, err := resample.New(rate, media.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSampleRate, err)
	}
	out := r.Process(make([]int16, 0, len(pcm)*media.SampleRate/rate+1), pcm)
	return r.Flush(out), nil
}
