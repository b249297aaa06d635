package mediatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/coder/websocket"
)

// FrameSamples is the number of samples in one 20 ms frame at 8 kHz, the
// size of every media message Twilio sends.
const FrameSamples = 160

// FrameDuration is the audio length of one media message.
const FrameDuration = 20 * time.Millisecond

// DialOptions configures Dial. The zero value dials without a signature and
// sends connected and start for an inbound-only stream with random SIDs.
type DialOptions struct {
	// AuthToken, when set, signs the upgrade like Twilio: X-Twilio-Signature
	// over SignURL (or the dialed URL).
	AuthToken string
	// SignURL is the URL to sign, for servers whose public wss:// URL differs
	// from the local ws:// URL dialed in tests. Empty means the dialed URL.
	SignURL string

	// AccountSid identifies the account; empty means a random AC… value.
	AccountSid string
	// CallSid identifies the call; empty means a random CA… value.
	CallSid string
	// StreamSid identifies the stream; empty means a random MZ… value.
	StreamSid string
	// Tracks lists the tracks announced in start; nil means ["inbound"].
	Tracks []string
	// CustomParameters are sent in start.customParameters, as <Parameter>
	// elements would be.
	CustomParameters map[string]string

	// Header is added to the upgrade request.
	Header http.Header
	// HTTPClient is used for the upgrade; nil means http.DefaultClient.
	HTTPClient *http.Client

	// Realtime paces media at one 20 ms frame per 20 ms, as Twilio does.
	// Otherwise audio is sent as fast as possible. SendOption Realtime
	// overrides it per call.
	Realtime bool
	// SkipSilence leaves out frames whose samples are all within
	// SilenceThreshold of zero, while the timestamps keep counting, as Twilio
	// does for silent audio. SendOption SkipSilence overrides it per call.
	SkipSilence bool
	// SilenceThreshold is the largest absolute sample value counted as
	// silence (after μ-law quantization).
	SilenceThreshold int16

	// Resample converts audio at another rate to 8 kHz for StreamWAV. Nil
	// means package resample (High quality, the whole file at once).
	Resample func(pcm []int16, sampleRate int) ([]int16, error)

	// SkipStart makes Dial send neither connected nor start, for tests of
	// servers facing a broken peer; send them with SendMessage.
	SkipStart bool
}

// HandshakeError is returned by Dial when the server refuses the upgrade.
type HandshakeError struct {
	// StatusCode is the HTTP status of the refusal, such as 403.
	StatusCode int
	// Err is the error from the WebSocket dial.
	Err error
}

// Error reports the HTTP status.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("mediatest: upgrade refused with HTTP %d: %v", e.StatusCode, e.Err)
}

// Unwrap returns the websocket error.
func (e *HandshakeError) Unwrap() error { return e.Err }

// Call is Twilio's side of one Media Stream. The Send methods may be called
// from several goroutines; each message gets the next sequenceNumber. A
// background goroutine reads what the server sends, echoes marks as Twilio
// does once audio has played (playback here is instant), and keeps every
// message for ReadMessage, Received and Played.
type Call struct {
	conn  *websocket.Conn
	opts  DialOptions
	start media.Start

	wmu     sync.Mutex // orders sequence numbers with writes
	seq     int64
	tracks  map[string]*trackClock
	nextDue time.Time // when the next paced frame is due

	rmu      sync.Mutex
	received []*media.Message
	played   []int16
	changed  chan struct{} // closed and replaced on every change
	cursor   int
	readErr  error
	done     chan struct{}
	cancel   context.CancelFunc
	stopOnce sync.Once
	closing  atomic.Bool // set when this side starts closing
}

// trackClock is one track's chunk numbering and timeline.
type trackClock struct {
	chunk   int64
	samples int64   // timeline position of the next frame
	rem     []int16 // partial frame waiting for more audio
}

// Dial opens a Media Stream to url (ws:// or wss://) like Twilio: it signs
// the upgrade, then sends connected and start.
func Dial(ctx context.Context, url string, opts DialOptions) (*Call, error) {
	h := opts.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if opts.AuthToken != "" {
		signed := opts.SignURL
		if signed == "" {
			signed = url
		}
		h.Set("X-Twilio-Signature", Signature(opts.AuthToken, signed))
	}
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h, HTTPClient: opts.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &HandshakeError{StatusCode: resp.StatusCode, Err: err}
		}
		return nil, fmt.Errorf("mediatest: dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	c := &Call{
		conn:    conn,
		opts:    opts,
		tracks:  map[string]*trackClock{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	c.start = media.Start{
		AccountSid:       orSid(opts.AccountSid, "AC"),
		CallSid:          orSid(opts.CallSid, "CA"),
		StreamSid:        orSid(opts.StreamSid, "MZ"),
		Tracks:           opts.Tracks,
		MediaFormat:      media.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: media.SampleRate, Channels: 1},
		CustomParameters: opts.CustomParameters,
	}
	if c.start.Tracks == nil {
		c.start.Tracks = []string{media.TrackInbound}
	}
	if c.start.CustomParameters == nil {
		c.start.CustomParameters = map[string]string{}
	}
	rctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	if !opts.SkipStart {
		// connected and start go first, before any mark echo.
		err := c.send(ctx, media.Message{Event: media.EventConnected, Connected: &media.Connected{Protocol: "Call", Version: "1.0.0"}}, false)
		if err == nil {
			start := c.start
			err = c.SendMessage(ctx, media.Message{Event: media.EventStart, Start: &start})
		}
		if err != nil {
			cancel()
			conn.CloseNow()
			return nil, err
		}
	}
	go c.readLoop(rctx)
	return c, nil
}

func orSid(s, prefix string) string {
	if s != "" {
		return s
	}
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// StartMessage returns the start metadata this call announces.
func (c *Call) StartMessage() media.Start { return c.start }

// CallSid returns the call's SID.
func (c *Call) CallSid() string { return c.start.CallSid }

// StreamSid returns the stream's SID.
func (c *Call) StreamSid() string { return c.start.StreamSid }

// SendMessage sends m with the next sequenceNumber; StreamSid is filled in
// when empty. Use it for messages the other methods do not cover.
func (c *Call) SendMessage(ctx context.Context, m media.Message) error {
	return c.send(ctx, m, true)
}

func (c *Call) send(ctx context.Context, m media.Message, numbered bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendLocked(ctx, m, numbered)
}

func (c *Call) sendLocked(ctx context.Context, m media.Message, numbered bool) error {
	if numbered {
		c.seq++
		m.SequenceNumber = c.seq
		if m.StreamSid == "" {
			m.StreamSid = c.start.StreamSid
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("mediatest: encode %s: %w", m.Event, err)
	}
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("mediatest: send %s: %w", m.Event, err)
	}
	return nil
}

// SendRaw sends data as one text frame, unchanged: for tests of malformed
// input.
func (c *Call) SendRaw(ctx context.Context, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("mediatest: send raw: %w", err)
	}
	return nil
}

// SendDTMF sends a key press detected on the inbound track.
func (c *Call) SendDTMF(ctx context.Context, digit string) error {
	return c.SendMessage(ctx, media.Message{Event: media.EventDTMF, DTMF: &media.DTMF{Track: "inbound_track", Digit: digit}})
}

// SendMark sends a mark message, as Twilio does when audio the server
// queued before a mark has played.
func (c *Call) SendMark(ctx context.Context, name string) error {
	return c.SendMessage(ctx, media.Message{Event: media.EventMark, Mark: &media.Mark{Name: name}})
}

// Skip advances track's timeline by d without sending audio, so the next
// frame's timestamp jumps, as when Twilio leaves out silence. A partial frame
// kept from the last SendPCM goes out after the jump. With real-time pacing,
// the next frame also waits d longer.
func (c *Call) Skip(track string, d time.Duration) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.clock(track).samples += int64(d / (time.Second / media.SampleRate))
	if !c.nextDue.IsZero() {
		c.nextDue = c.nextDue.Add(d) // in real time, the skipped audio takes its time
	}
}

func (c *Call) clock(track string) *trackClock {
	t := c.tracks[track]
	if t == nil {
		t = &trackClock{}
		c.tracks[track] = t
	}
	return t
}

// Stop flushes partial frames, sends stop and closes the WebSocket normally,
// as Twilio does when the call or stream ends. It waits for the server's
// close and returns nil on a normal closure.
func (c *Call) Stop(ctx context.Context) error {
	if err := c.Flush(ctx); err != nil {
		return err
	}
	err := c.SendMessage(ctx, media.Message{Event: media.EventStop, Stop: &media.Stop{AccountSid: c.start.AccountSid, CallSid: c.start.CallSid}})
	if err != nil {
		return err
	}
	return c.closeWith(websocket.StatusNormalClosure)
}

// Close hangs up without stop: the socket closes at once, as when Twilio's
// connection drops.
func (c *Call) Close() error {
	c.stopOnce.Do(func() {
		c.closing.Store(true)
		c.conn.CloseNow()
		c.cancel()
	})
	<-c.done
	return nil
}

func (c *Call) closeWith(code websocket.StatusCode) error {
	c.stopOnce.Do(func() {
		// The close handshake races with the server closing the TCP
		// connection after its own handshake; what the reader saw decides.
		c.closing.Store(true)
		c.conn.Close(code, "")
		c.cancel()
	})
	<-c.done
	return c.Err()
}

// Done is closed when the connection has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended: nil while it is open or after a
// normal closure; otherwise an error usable with websocket.CloseStatus, such
// as the server's 1007, 1008 or 1009.
func (c *Call) Err() error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.readErr
}

// readLoop keeps what the server sends and answers marks.
func (c *Call) readLoop(ctx context.Context) {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			c.rmu.Lock()
			ours := c.closing.Load() && (errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled))
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure && !ours {
				c.readErr = err
			}
			c.notifyLocked()
			c.rmu.Unlock()
			return
		}
		m, err := media.ParseMessage(data)
		if err != nil {
			c.rmu.Lock()
			c.readErr = err
			c.notifyLocked()
			c.rmu.Unlock()
			c.conn.Close(websocket.StatusInvalidFramePayloadData, "invalid message")
			return
		}
		c.rmu.Lock()
		c.received = append(c.received, m)
		if m.Event == media.EventMedia {
			c.played = media.DecodeUlaw(c.played, m.Media.Payload)
		}
		c.notifyLocked()
		c.rmu.Unlock()
		if m.Event == media.EventMark && m.Mark != nil {
			// Playback is instant here, so the mark has been reached.
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c.SendMark(wctx, m.Mark.Name)
			cancel()
		}
	}
}

func (c *Call) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// ReadMessage returns the next message the server sent, in order, waiting
// for one if needed. After the connection ends and every message has been
// returned, it returns Err(), or io.EOF after a normal closure.
func (c *Call) ReadMessage(ctx context.Context) (*media.Message, error) {
	for {
		c.rmu.Lock()
		if c.cursor < len(c.received) {
			m := c.received[c.cursor]
			c.cursor++
			c.rmu.Unlock()
			return m, nil
		}
		ch := c.changed
		c.rmu.Unlock()
		select {
		case <-ch:
		case <-c.done:
			c.rmu.Lock()
			more := c.cursor < len(c.received)
			err := c.readErr
			c.rmu.Unlock()
			if more {
				continue
			}
			if err == nil {
				err = io.EOF
			}
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Received returns every message the server has sent so far.
func (c *Call) Received() []*media.Message {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return append([]*media.Message(nil), c.received...)
}

// Played returns the 8 kHz PCM of all media the server has sent so far.
func (c *Call) Played() []int16 {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return append([]int16(nil), c.played...)
}
