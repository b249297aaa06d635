package media

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/twilio/twilio-go/client"
)

// SampleRate is the sample rate of Twilio Media Streams audio and of every
// Frame: 8000 Hz mono.
const SampleRate = 8000

// DefaultReadLimit is the largest frame Accept allows when
// AcceptOptions.ReadLimit is zero. A 20 ms media frame is about 400 bytes.
const DefaultReadLimit = 64 << 10

// DefaultMaxGap is the longest timestamp jump ReadFrame fills with silence
// when AcceptOptions.MaxGap is zero.
const DefaultMaxGap = 10 * time.Minute

// jitterSamples is how far a chunk's timestamp may run ahead of the track's
// timeline (10 ms) before the difference counts as skipped audio.
const jitterSamples = 80

// maxSilenceFrame bounds the silence carried by one Frame (1 s); longer gaps
// come as several silence-only frames.
const maxSilenceFrame = SampleRate

// AcceptOptions configures Accept. The zero value accepts any client and is
// meant for tests; production servers set AuthToken and PublicURL.
type AcceptOptions struct {
	// AuthToken is the Twilio auth token. When set, the upgrade request must
	// carry an X-Twilio-Signature computed over PublicURL, or Accept answers
	// 403 and returns an error wrapping ErrSignature.
	AuthToken string

	// PublicURL is the wss:// URL given to Twilio in <Stream url="...">,
	// exactly as configured. It is never rebuilt from the request, because
	// proxies rewrite scheme and host. Required when AuthToken is set.
	PublicURL string

	// ReadLimit is the largest frame accepted, in bytes. Zero means
	// DefaultReadLimit; negative means no limit. A larger frame fails the
	// stream with ErrMessageTooBig and close status 1009.
	ReadLimit int64

	// MaxGap is the longest timestamp jump filled with silence. Zero means
	// DefaultMaxGap. A longer jump is a protocol violation.
	MaxGap time.Duration

	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger

	// OnEvent, if set, is called for every message that is not media:
	// connected, start, mark, dtmf, stop, clear and unknown events. It runs on
	// the goroutine calling ReadFrame (or ReadStart), before that call
	// returns, in wire order relative to frames. It may keep m.
	OnEvent func(m *Message)

	// OnReject, if set, answers the upgrade requests Accept refuses before
	// upgrading, in place of its plain-text answer: a missing or wrong
	// signature (err wraps ErrSignature; the default answer is 403) or an
	// AuthToken without PublicURL (ErrAcceptConfig; 500). Use it to answer
	// in the server's own error format, e.g. RFC 9457 problem+json. Accept
	// returns err after it.
	OnReject func(w http.ResponseWriter, r *http.Request, err error)
}

// Frame is a run of 8 kHz PCM audio from one track.
type Frame struct {
	// Track is "inbound" or "outbound".
	Track string
	// Timestamp is the position of Samples[0] on the track's timeline, from
	// the start of the stream.
	Timestamp time.Duration
	// Samples is 8 kHz 16-bit PCM. It is valid until the next ReadFrame.
	Samples []int16
	// Gap is the length of silence inserted at the start of Samples because
	// Twilio skipped chunks (a timestamp jump). It is zero for plain audio.
	Gap time.Duration
}

// Duration returns the length of the frame's audio.
func (f Frame) Duration() time.Duration { return samplesToDuration(int64(len(f.Samples))) }

// Stream is one accepted Media Streams connection. ReadFrame, ReadStart and
// Close belong to a single reader goroutine; Start, Stats and the Send
// methods may be called from any goroutine.
type Stream struct {
	conn    *websocket.Conn
	log     *slog.Logger
	onEvent func(*Message)
	maxGap  int64 // samples

	connected atomic.Pointer[Connected]
	start     atomic.Pointer[Start]
	sid       string // streamSid from start; reader goroutine only
	stopped   bool
	err       error // sticky failure

	buf  []byte  // current frame
	ulaw []byte  // decoded payload
	pcm  []int16 // frame samples handed out

	// pending silence of a gap longer than maxSilenceFrame
	pendTrack *trackState
	pendGap   int64
	pendUlaw  []byte

	mu       sync.Mutex // guards tracks appends and messages for Stats
	tracks   []*trackState
	messages atomic.Int64

	// cancellation of the caller's context without a per-read allocation
	watchCtx  context.Context // reader goroutine only
	watchMu   sync.Mutex      // guards stopWatch, which Close also uses
	stopWatch func() bool
	reading   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Accept checks the Twilio signature of the upgrade request and accepts the
// WebSocket. It returns as soon as the connection is upgraded; the connected
// and start messages are read by the first ReadStart or ReadFrame. On a
// signature failure it answers 403 without upgrading (or lets
// AcceptOptions.OnReject answer).
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Stream, error) {
	var o AcceptOptions
	if opts != nil {
		o = *opts
	}
	if o.AuthToken != "" {
		if o.PublicURL == "" {
			err := fmt.Errorf("%w: PublicURL is required with AuthToken", ErrAcceptConfig)
			reject(w, r, &o, err, http.StatusInternalServerError, "stream signature cannot be checked")
			return nil, err
		}
		sig := r.Header.Get("X-Twilio-Signature")
		v := client.NewRequestValidator(o.AuthToken)
		if sig == "" || !v.Validate(o.PublicURL, map[string]string{}, sig) {
			err := ErrSignature
			if sig == "" {
				err = fmt.Errorf("%w: header missing", ErrSignature)
			}
			reject(w, r, &o, err, http.StatusForbidden, "forbidden")
			return nil, err
		}
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil, fmt.Errorf("media: accept: %w", err)
	}
	return newStream(conn, o), nil
}

// reject answers a refused upgrade with o.OnReject, or in plain text.
func reject(w http.ResponseWriter, r *http.Request, o *AcceptOptions, err error, status int, text string) {
	if o.OnReject != nil {
		o.OnReject(w, r, err)
		return
	}
	http.Error(w, text, status)
}

func newStream(conn *websocket.Conn, o AcceptOptions) *Stream {
	limit := o.ReadLimit
	if limit == 0 {
		limit = DefaultReadLimit
	}
	if conn != nil {
		conn.SetReadLimit(limit)
	}
	if o.MaxGap <= 0 {
		o.MaxGap = DefaultMaxGap
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stream{
		conn:    conn,
		log:     log,
		onEvent: o.OnEvent,
		maxGap:  durationToSamples(o.MaxGap),
		buf:     make([]byte, 0, 1024),
	}
}

// Connected returns the connected message, or nil before it has been read.
func (s *Stream) Connected() *Connected { return s.connected.Load() }

// Start returns the call's metadata once the start message has been read by
// ReadStart or ReadFrame (Twilio sends it right after connected, before any
// media), and nil before. Callers must not modify it.
func (s *Stream) Start() *Start { return s.start.Load() }

// ReadStart reads until the start message and returns it. Call it before
// ReadFrame to learn the CallSid and custom parameters first. A stop before
// start yields io.EOF.
func (s *Stream) ReadStart(ctx context.Context) (*Start, error) {
	for s.start.Load() == nil {
		if _, _, err := s.step(ctx); err != nil {
			return nil, err
		}
	}
	return s.start.Load(), nil
}

// ReadFrame returns the next run of audio. Each track keeps a continuous
// timeline: when Twilio skips silent chunks, the silence is inserted at the
// start of Samples and Gap says how long it is (gaps over one second come as
// extra silence-only frames first); duplicate and out-of-order chunks are
// dropped and counted in Stats. Other messages go to AcceptOptions.OnEvent.
//
// ReadFrame returns io.EOF after the stop message. A malformed frame, an
// oversized frame or a protocol violation returns an error matching
// ErrMalformed, ErrMessageTooBig or ErrProtocol, after closing the peer with
// status 1007, 1009 or 1008. Cancelling ctx during a read closes the stream.
// After warm-up ReadFrame does not allocate for media frames.
func (s *Stream) ReadFrame(ctx context.Context) (Frame, error) {
	for {
		f, ok, err := s.step(ctx)
		if err != nil || ok {
			return f, err
		}
	}
}

// step processes one message. ok reports whether f holds audio.
func (s *Stream) step(ctx context.Context) (f Frame, ok bool, err error) {
	if s.err != nil {
		return Frame{}, false, s.err
	}
	if s.pendGap > 0 {
		return s.emitPending(), true, nil
	}
	data, err := s.readMessage(ctx)
	if err != nil {
		return Frame{}, false, s.fail(err)
	}
	return s.handle(data)
}

// handle processes one frame's bytes: the per-frame path once read.
func (s *Stream) handle(data []byte) (f Frame, ok bool, err error) {
	s.messages.Add(1)
	if v, fast := parseMediaFast(data); fast {
		s.ulaw = extend(s.ulaw[:0], base64.StdEncoding.DecodedLen(len(v.payload)))
		n, err := base64.StdEncoding.Decode(s.ulaw, v.payload)
		if err != nil {
			return Frame{}, false, s.fail(malformed("media.payload", err))
		}
		f, ok, err = s.media(v.track, v.streamSid, v.chunk, v.ts, s.ulaw[:n])
		if err != nil {
			return Frame{}, false, s.fail(err)
		}
		return f, ok, nil
	}
	m, err := ParseMessage(data)
	if err != nil {
		return Frame{}, false, s.fail(err)
	}
	if m.Event == EventMedia {
		md := m.Media
		f, ok, err = s.media([]byte(md.Track), []byte(m.StreamSid), md.Chunk,
			int64(md.Timestamp/time.Millisecond), md.Payload)
		if err != nil {
			return Frame{}, false, s.fail(err)
		}
		return f, ok, nil
	}
	if err := s.event(m); err != nil {
		return Frame{}, false, s.fail(err)
	}
	if s.onEvent != nil {
		s.onEvent(m)
	}
	if s.stopped {
		s.err = io.EOF
		return Frame{}, false, io.EOF
	}
	return Frame{}, false, nil
}

// event applies a non-media message to the stream state.
func (s *Stream) event(m *Message) error {
	started := s.start.Load() != nil
	if m.StreamSid != "" && started && m.StreamSid != s.sid {
		return &ProtocolError{Event: m.Event, Reason: "streamSid " + m.StreamSid + " does not match " + s.sid, Status: websocket.StatusPolicyViolation}
	}
	switch m.Event {
	case EventConnected:
		if s.connected.Load() != nil || started {
			return &ProtocolError{Event: m.Event, Reason: "repeated", Status: websocket.StatusPolicyViolation}
		}
		s.connected.Store(m.Connected)
	case EventStart:
		if started {
			return &ProtocolError{Event: m.Event, Reason: "repeated", Status: websocket.StatusPolicyViolation}
		}
		s.sid = m.Start.StreamSid
		if s.sid == "" {
			s.sid = m.StreamSid
		}
		s.start.Store(m.Start)
		s.log.Debug("media stream started", "call_sid", m.Start.CallSid, "stream_sid", s.sid, "tracks", m.Start.Tracks)
	case EventStop:
		s.stopped = true
		s.log.Debug("media stream stopped", "stream_sid", s.sid)
	}
	return nil
}

// readMessage reads one text frame into s.buf.
func (s *Stream) readMessage(ctx context.Context) ([]byte, error) {
	s.watch(ctx)
	s.reading.Store(true)
	defer s.reading.Store(false)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	typ, r, err := s.conn.Reader(context.Background())
	if err != nil {
		return nil, s.readError(ctx, err)
	}
	buf := s.buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			s.buf = buf[:0]
			return nil, s.readError(ctx, err)
		}
	}
	s.buf = buf
	if typ != websocket.MessageText {
		return nil, &ProtocolError{Reason: "binary frame", Status: websocket.StatusUnsupportedData}
	}
	return buf, nil
}

func (s *Stream) readError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return fmt.Errorf("%w: %w", ErrMessageTooBig, err)
	}
	if websocket.CloseStatus(err) != -1 {
		return fmt.Errorf("media: peer closed the stream before stop: %w: %w", io.ErrUnexpectedEOF, err)
	}
	return fmt.Errorf("media: read: %w", err)
}

// watch arranges for the connection to close if ctx is cancelled during a
// read. The registration is kept while the same ctx is passed again, so the
// per-frame path does not allocate.
func (s *Stream) watch(ctx context.Context) {
	if s.watchCtx != nil && reflect.TypeOf(ctx).Comparable() && ctx == s.watchCtx {
		return
	}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.stopWatch != nil {
		s.stopWatch()
		s.stopWatch = nil
	}
	s.watchCtx = ctx
	if ctx.Done() == nil {
		return
	}
	s.stopWatch = context.AfterFunc(ctx, func() {
		if s.reading.Load() {
			s.conn.CloseNow()
		}
	})
}

// fail records err as the stream's final error and closes the peer with the
// status that fits it.
func (s *Stream) fail(err error) error {
	s.err = err
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.log.Debug("media stream read cancelled", "stream_sid", s.sid, "err", err)
	} else {
		s.log.Warn("media stream failed", "stream_sid", s.sid, "err", err)
	}
	status := closeStatus(err)
	switch {
	case errors.Is(err, ErrMessageTooBig):
		// coder/websocket has already sent 1009.
		s.closeWith(func() error { return s.conn.CloseNow() })
	case status == websocket.StatusInternalError && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrProtocol):
		s.closeWith(func() error { return s.conn.CloseNow() })
	default:
		s.closeWith(func() error { return s.conn.Close(status, reasonText(err)) })
	}
	return err
}

// closeStatus maps an error to the close status the peer should see.
func closeStatus(err error) websocket.StatusCode {
	var pe *ProtocolError
	switch {
	case err == nil:
		return websocket.StatusNormalClosure
	case errors.As(err, &pe):
		return pe.Status
	case errors.Is(err, ErrMalformed):
		return websocket.StatusInvalidFramePayloadData
	case errors.Is(err, ErrProtocol):
		return websocket.StatusPolicyViolation
	case errors.Is(err, ErrMessageTooBig):
		return websocket.StatusMessageTooBig
	}
	return websocket.StatusInternalError
}

// reasonText fits err into a close frame's 123-byte reason.
func reasonText(err error) string {
	if err == nil {
		return ""
	}
	r := err.Error()
	if len(r) > 123 {
		r = r[:120]
		for !utf8.ValidString(r) { // do not cut a character in two
			r = r[:len(r)-1]
		}
		r += "..."
	}
	return r
}

func (s *Stream) closeWith(f func() error) error {
	s.closeOnce.Do(func() {
		s.watchMu.Lock()
		if s.stopWatch != nil {
			s.stopWatch()
			s.stopWatch = nil
		}
		s.watchMu.Unlock()
		s.closeErr = f()
	})
	return s.closeErr
}

// Close ends the stream with status 1000 (normal closure). It is safe to call
// more than once; later calls return the first result.
func (s *Stream) Close() error {
	return s.closeWith(func() error { return s.conn.Close(websocket.StatusNormalClosure, "") })
}

// CloseWithError ends the stream with the close status that fits err: 1007
// for ErrMalformed, 1008 for ErrProtocol, 1009 for ErrMessageTooBig, 1000 for
// nil and 1011 (internal error) otherwise. The reason is err's text.
func (s *Stream) CloseWithError(err error) error {
	return s.closeWith(func() error { return s.conn.Close(closeStatus(err), reasonText(err)) })
}
