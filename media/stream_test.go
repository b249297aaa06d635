package media_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

const testToken = "test-auth-token"

// serve starts an httptest server whose handler accepts a stream with opts
// and hands it to run. It returns the ws:// URL and a channel with Accept's
// error (nil on success), sent before run starts.
func serve(t *testing.T, opts *media.AcceptOptions, run func(*media.Stream)) (string, <-chan error) {
	t.Helper()
	accepted := make(chan error, 1)
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := media.Accept(w, r, opts)
		accepted <- err
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer s.Close()
		run(s)
	}))
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http"), accepted
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sine returns n samples of a 440 Hz tone.
func sine(n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*440*float64(i)/media.SampleRate))
	}
	return out
}

func quantize(pcm []int16) []int16 {
	return media.DecodeUlaw(nil, media.EncodeUlaw(nil, pcm))
}

type serverResult struct {
	start  *media.Start
	pcm    map[string][]int16
	frames map[string][]media.Frame // Samples copied
	events []*media.Message
	stats  media.Stats
	err    error
}

// collect reads the stream to the end; events holds what OnEvent received.
func collect(s *media.Stream, events *eventLog) serverResult {
	ctx := context.Background()
	res := serverResult{pcm: map[string][]int16{}, frames: map[string][]media.Frame{}}
	for {
		f, err := s.ReadFrame(ctx)
		if err != nil {
			if err != io.EOF {
				res.err = err
			}
			break
		}
		res.pcm[f.Track] = append(res.pcm[f.Track], f.Samples...)
		g := f
		g.Samples = append([]int16(nil), f.Samples...)
		res.frames[f.Track] = append(res.frames[f.Track], g)
	}
	res.start = s.Start()
	res.stats = s.Stats()
	res.events = events.snapshot()
	return res
}

// eventLog records the messages given to AcceptOptions.OnEvent.
type eventLog struct {
	mu     sync.Mutex
	events []*media.Message
}

func (l *eventLog) add(m *media.Message) {
	l.mu.Lock()
	l.events = append(l.events, m)
	l.mu.Unlock()
}

func (l *eventLog) snapshot() []*media.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*media.Message(nil), l.events...)
}

// record serves Accept with opts, recording OnEvent messages, dials it
// with dial, and returns the call and a channel that receives what the
// server read once the stream ends.
func record(t *testing.T, opts media.AcceptOptions, dial mediatest.DialOptions) (*mediatest.Call, <-chan serverResult) {
	t.Helper()
	var events eventLog
	opts.OnEvent = events.add
	results := make(chan serverResult, 1)
	url, accepted := serve(t, &opts, func(s *media.Stream) { results <- collect(s, &events) })
	call, err := mediatest.Dial(ctxT(t), url, dial)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return call, results
}

func TestEndToEnd(t *testing.T) {
	ctx := ctxT(t)
	const public = "wss://callguard.example.com/stream"
	call, results := record(t, media.AcceptOptions{AuthToken: testToken, PublicURL: public}, mediatest.DialOptions{
		AuthToken:        testToken,
		SignURL:          public,
		CallSid:          "CA0001",
		AccountSid:       "AC0001",
		StreamSid:        "MZ0001",
		Tracks:           []string{media.TrackInbound, media.TrackOutbound},
		CustomParameters: map[string]string{"caller": "+15550100", "case": "e2e"},
	})

	in1 := sine(8000+37, 9000) // 1 s and a partial frame carried over
	in2 := sine(1600, 3000)
	out := sine(4000, 12000)
	if err := call.SendBoth(ctx, in1, out); err != nil {
		t.Fatal(err)
	}
	call.Skip(media.TrackInbound, 100*time.Millisecond) // a timestamp jump
	if err := call.SendPCM(ctx, media.TrackInbound, in2); err != nil {
		t.Fatal(err)
	}
	if err := call.SendDTMF(ctx, "7"); err != nil {
		t.Fatal(err)
	}
	if err := call.SendMark(ctx, "greeting"); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	res := <-results
	if res.err != nil {
		t.Fatalf("ReadFrame: %v", res.err)
	}

	// The partial frame of in1 (37 samples) is completed by in2 before the
	// skipped 100 ms is counted: Skip moves the clock at the frame boundary
	// where the carried samples start.
	want := quantize(in1[:8000])
	want = append(want, make([]int16, 800)...)
	want = append(want, quantize(append(append([]int16{}, in1[8000:]...), in2...))...)
	if diff := cmp.Diff(want, res.pcm[media.TrackInbound]); diff != "" {
		t.Errorf("inbound PCM mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(quantize(out), res.pcm[media.TrackOutbound]); diff != "" {
		t.Errorf("outbound PCM mismatch (-want +got):\n%s", diff)
	}

	wantStart := &media.Start{
		AccountSid:       "AC0001",
		CallSid:          "CA0001",
		StreamSid:        "MZ0001",
		Tracks:           []string{"inbound", "outbound"},
		MediaFormat:      media.MediaFormat{Encoding: "audio/x-mulaw", SampleRate: 8000, Channels: 1},
		CustomParameters: map[string]string{"caller": "+15550100", "case": "e2e"},
	}
	if diff := cmp.Diff(wantStart, res.start); diff != "" {
		t.Errorf("Start mismatch (-want +got):\n%s", diff)
	}

	var kinds []string
	for _, m := range res.events {
		kinds = append(kinds, m.Event)
	}
	if diff := cmp.Diff([]string{"connected", "start", "dtmf", "mark", "stop"}, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if d := res.events[2].DTMF; d == nil || d.Digit != "7" || d.Track != "inbound_track" {
		t.Errorf("dtmf = %+v", d)
	}
	if m := res.events[3].Mark; m == nil || m.Name != "greeting" {
		t.Errorf("mark = %+v", m)
	}

	inStats := res.stats.Tracks[media.TrackInbound]
	wantIn := media.TrackStats{Frames: 50 + 10 + 1, Bytes: 8000 + 1600 + 37, Gaps: 1, Silence: 100 * time.Millisecond}
	if diff := cmp.Diff(wantIn, inStats); diff != "" {
		t.Errorf("inbound stats (-want +got):\n%s", diff)
	}
	if got := res.stats.Tracks[media.TrackOutbound].Frames; got != 25 {
		t.Errorf("outbound frames = %d, want 25", got)
	}

	// The frame after the jump carries the silence and starts where the
	// previous one ended.
	var gapFrames int
	var next time.Duration
	for i, f := range res.frames[media.TrackInbound] {
		if i > 0 && f.Timestamp != next {
			t.Fatalf("frame %d at %v, want %v (timeline not continuous)", i, f.Timestamp, next)
		}
		next = f.Timestamp + f.Duration()
		if f.Gap > 0 {
			gapFrames++
			if f.Gap != 100*time.Millisecond || f.Timestamp != time.Second {
				t.Errorf("gap frame = %+v", f)
			}
		}
	}
	if gapFrames != 1 {
		t.Errorf("%d frames with a gap, want 1", gapFrames)
	}
}

func TestSkipSilence(t *testing.T) {
	ctx := ctxT(t)
	call, results := record(t, media.AcceptOptions{}, mediatest.DialOptions{SkipSilence: true})
	pcm := append(append(sine(1600, 8000), make([]int16, 3200)...), sine(800, 8000)...)
	if err := call.SendPCM(ctx, media.TrackInbound, pcm); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	res := <-results
	if res.err != nil {
		t.Fatal(res.err)
	}
	if diff := cmp.Diff(quantize(pcm), res.pcm[media.TrackInbound]); diff != "" {
		t.Errorf("PCM mismatch (-want +got):\n%s", diff)
	}
	st := res.stats.Tracks[media.TrackInbound]
	if st.Frames != 15 || st.Gaps != 1 || st.Silence != 400*time.Millisecond {
		t.Errorf("stats = %+v, want 15 frames and one 400ms gap", st)
	}
}

func TestLongGapSplitsIntoSilenceFrames(t *testing.T) {
	ctx := ctxT(t)
	call, results := record(t, media.AcceptOptions{}, mediatest.DialOptions{})
	a, b := sine(160, 5000), sine(160, 7000)
	call.SendPCM(ctx, "inbound", a)
	call.Skip("inbound", 2500*time.Millisecond)
	call.SendPCM(ctx, "inbound", b)
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	res := <-results
	var gaps []time.Duration
	for _, f := range res.frames["inbound"] {
		gaps = append(gaps, f.Gap)
	}
	if diff := cmp.Diff([]time.Duration{0, time.Second, time.Second, 500 * time.Millisecond}, gaps); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	want := append(append(quantize(a), make([]int16, 20000)...), quantize(b)...)
	if diff := cmp.Diff(want, res.pcm["inbound"]); diff != "" {
		t.Errorf("PCM mismatch (-want +got):\n%s", diff)
	}
}

func TestDuplicateAndOutOfOrderChunksDropped(t *testing.T) {
	ctx := ctxT(t)
	call, results := record(t, media.AcceptOptions{}, mediatest.DialOptions{})
	frames := [][]int16{sine(160, 1000), sine(160, 2000), sine(160, 3000)}
	sendChunk := func(chunk int64, pcm []int16) {
		t.Helper()
		err := call.SendMessage(ctx, media.Message{Event: media.EventMedia, Media: &media.Media{
			Track: "inbound", Chunk: chunk, Timestamp: time.Duration(chunk-1) * 20 * time.Millisecond,
			Payload: media.EncodeUlaw(nil, pcm),
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	sendChunk(1, frames[0])
	sendChunk(2, frames[1])
	sendChunk(2, frames[1]) // duplicate
	sendChunk(1, frames[0]) // late
	sendChunk(3, frames[2])
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	res := <-results
	want := quantize(append(append(append([]int16{}, frames[0]...), frames[1]...), frames[2]...))
	if diff := cmp.Diff(want, res.pcm["inbound"]); diff != "" {
		t.Errorf("PCM mismatch (-want +got):\n%s", diff)
	}
	if st := res.stats.Tracks["inbound"]; st.Dropped != 2 || st.Frames != 3 {
		t.Errorf("stats = %+v, want 3 frames, 2 dropped", st)
	}
}

func TestSignature(t *testing.T) {
	const public = "wss://callguard.example.com/stream"
	opts := &media.AcceptOptions{AuthToken: testToken, PublicURL: public}
	for _, tc := range []struct {
		name    string
		dial    mediatest.DialOptions
		wantErr bool
	}{
		{"valid", mediatest.DialOptions{AuthToken: testToken, SignURL: public}, false},
		{"forged", mediatest.DialOptions{AuthToken: "not-the-token", SignURL: public}, true},
		{"wrong URL", mediatest.DialOptions{AuthToken: testToken}, true}, // signs the local URL
		{"missing", mediatest.DialOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			url, accepted := serve(t, opts, func(s *media.Stream) {
				s.ReadFrame(context.Background())
			})
			call, err := mediatest.Dial(ctx, url, tc.dial)
			acceptErr := <-accepted
			if !tc.wantErr {
				if err != nil || acceptErr != nil {
					t.Fatalf("Dial: %v, Accept: %v", err, acceptErr)
				}
				call.Stop(ctx)
				return
			}
			var he *mediatest.HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
				t.Fatalf("Dial error = %v, want HandshakeError 403", err)
			}
			if !errors.Is(acceptErr, media.ErrSignature) {
				t.Fatalf("Accept error = %v, want ErrSignature", acceptErr)
			}
		})
	}
}

// failure runs a stream whose peer misbehaves through act and returns the
// server's error and the status the peer saw.
func failure(t *testing.T, opts *media.AcceptOptions, dial mediatest.DialOptions, act func(context.Context, *mediatest.Call) error) (error, websocket.StatusCode) {
	t.Helper()
	ctx := ctxT(t)
	errs := make(chan error, 1)
	url, _ := serve(t, opts, func(s *media.Stream) {
		for {
			if _, err := s.ReadFrame(context.Background()); err != nil {
				errs <- err
				return
			}
		}
	})
	call, err := mediatest.Dial(ctx, url, dial)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	if err := act(ctx, call); err != nil {
		t.Fatal(err)
	}
	serverErr := <-errs
	select {
	case <-call.Done():
	case <-ctx.Done():
		t.Fatal("peer not closed")
	}
	return serverErr, websocket.CloseStatus(call.Err())
}

func TestOversizedFrameCloses1009(t *testing.T) {
	err, status := failure(t, &media.AcceptOptions{ReadLimit: 1024}, mediatest.DialOptions{},
		func(ctx context.Context, c *mediatest.Call) error {
			return c.SendMessage(ctx, media.Message{Event: media.EventMedia, Media: &media.Media{
				Track: "inbound", Chunk: 1, Payload: make([]byte, 2000)}})
		})
	if !errors.Is(err, media.ErrMessageTooBig) || !errors.Is(err, websocket.ErrMessageTooBig) {
		t.Errorf("server error = %v, want ErrMessageTooBig", err)
	}
	if status != websocket.StatusMessageTooBig {
		t.Errorf("peer close status = %v, want 1009", status)
	}
}

func TestGarbageCloses1007(t *testing.T) {
	err, status := failure(t, nil, mediatest.DialOptions{},
		func(ctx context.Context, c *mediatest.Call) error {
			return c.SendRaw(ctx, []byte(`{"event":"media","media":{"payload":`))
		})
	var me *media.MalformedError
	if !errors.Is(err, media.ErrMalformed) || !errors.As(err, &me) {
		t.Errorf("server error = %v, want ErrMalformed", err)
	}
	if status != websocket.StatusInvalidFramePayloadData {
		t.Errorf("peer close status = %v, want 1007", status)
	}
}

func TestBadPayloadNamesField(t *testing.T) {
	err, status := failure(t, nil, mediatest.DialOptions{},
		func(ctx context.Context, c *mediatest.Call) error {
			return c.SendRaw(ctx, []byte(`{"event":"media","streamSid":"`+c.StreamSid()+`","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"!!!!"}}`))
		})
	var me *media.MalformedError
	if !errors.As(err, &me) || me.Field != "media.payload" {
		t.Errorf("server error = %v, want MalformedError on media.payload", err)
	}
	if status != websocket.StatusInvalidFramePayloadData {
		t.Errorf("peer close status = %v, want 1007", status)
	}
}

func TestProtocolViolationsClose1008(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(context.Context, *mediatest.Call) error
	}{
		{"media before start", func(ctx context.Context, c *mediatest.Call) error {
			return c.SendPCM(ctx, "inbound", sine(160, 100))
		}},
		{"second start", func(ctx context.Context, c *mediatest.Call) error {
			st := c.StartMessage()
			if err := c.SendMessage(ctx, media.Message{Event: media.EventStart, Start: &st}); err != nil {
				return err
			}
			return c.SendMessage(ctx, media.Message{Event: media.EventStart, Start: &st})
		}},
		{"foreign streamSid", func(ctx context.Context, c *mediatest.Call) error {
			st := c.StartMessage()
			if err := c.SendMessage(ctx, media.Message{Event: media.EventStart, Start: &st}); err != nil {
				return err
			}
			return c.SendMessage(ctx, media.Message{Event: media.EventMedia, StreamSid: "MZother",
				Media: &media.Media{Track: "inbound", Chunk: 1, Payload: []byte{0xFF}}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, status := failure(t, nil, mediatest.DialOptions{SkipStart: true}, tc.act)
			var pe *media.ProtocolError
			if !errors.Is(err, media.ErrProtocol) || !errors.As(err, &pe) {
				t.Errorf("server error = %v, want ErrProtocol", err)
			}
			if status != websocket.StatusPolicyViolation {
				t.Errorf("peer close status = %v, want 1008", status)
			}
		})
	}
}

func TestUnknownEventDelivered(t *testing.T) {
	ctx := ctxT(t)
	call, results := record(t, media.AcceptOptions{}, mediatest.DialOptions{})
	if err := call.SendRaw(ctx, []byte(`{"event":"transcript","sequenceNumber":"3","streamSid":"`+call.StreamSid()+`","transcript":{"text":"hi"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	res := <-results
	if res.err != nil {
		t.Fatal(res.err)
	}
	var found *media.Message
	for _, m := range res.events {
		if m.Event == "transcript" {
			found = m
		}
	}
	if found == nil || found.SequenceNumber != 3 || !strings.Contains(string(found.Raw), `"text":"hi"`) {
		t.Fatalf("unknown event = %+v", found)
	}
}

func TestBidirectional(t *testing.T) {
	ctx := ctxT(t)
	reply := sine(800, 6000)
	echoed := make(chan string, 1)
	done := make(chan error, 1)
	opts := &media.AcceptOptions{OnEvent: func(m *media.Message) {
		if m.Event == media.EventMark {
			echoed <- m.Mark.Name
		}
	}}
	url, _ := serve(t, opts, func(s *media.Stream) {
		if err := s.SendMark(ctx, "early"); !errors.Is(err, media.ErrNotStarted) {
			done <- errors.New("SendMark before start did not fail")
			return
		}
		if _, err := s.ReadStart(ctx); err != nil {
			done <- err
			return
		}
		err := errors.Join(s.SendPCM(ctx, reply), s.SendMark(ctx, "reply-end"), s.SendClear(ctx))
		if err != nil {
			done <- err
			return
		}
		for {
			if _, err := s.ReadFrame(ctx); err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
		}
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		m, err := call.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Event)
		if m.StreamSid != call.StreamSid() {
			t.Errorf("%s message streamSid = %q", m.Event, m.StreamSid)
		}
	}
	if diff := cmp.Diff([]string{"media", "mark", "clear"}, got); diff != "" {
		t.Errorf("server messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(quantize(reply), call.Played()); diff != "" {
		t.Errorf("played audio (-want +got):\n%s", diff)
	}
	select {
	case name := <-echoed:
		if name != "reply-end" {
			t.Errorf("echoed mark %q", name)
		}
	case <-ctx.Done():
		t.Fatal("mark not echoed")
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReadFrameContextCancel(t *testing.T) {
	ctx := ctxT(t)
	errs := make(chan error, 1)
	url, _ := serve(t, nil, func(s *media.Stream) {
		rctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := s.ReadFrame(rctx)
		errs <- err
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadFrame error = %v, want DeadlineExceeded", err)
	}
}

func TestReadFrameZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a few hundred frames")
	}
	ctx := ctxT(t)
	streams := make(chan *media.Stream, 1)
	release := make(chan struct{})
	url, _ := serve(t, nil, func(s *media.Stream) {
		streams <- s
		<-release
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	s := <-streams
	defer close(release)
	const runs = 100
	// Warm-up frames plus one per AllocsPerRun iteration (it runs once more).
	if err := call.SendPCM(ctx, "inbound", sine(160*(runs+11), 9000)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := s.ReadFrame(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var rerr error
	allocs := testing.AllocsPerRun(runs, func() {
		if _, err := s.ReadFrame(ctx); err != nil {
			rerr = err
		}
	})
	if rerr != nil {
		t.Fatal(rerr)
	}
	if allocs != 0 {
		t.Fatalf("ReadFrame allocates %v times per frame, want 0", allocs)
	}
}

func TestCloseWhileReading(t *testing.T) {
	ctx := ctxT(t)
	errs := make(chan error, 1)
	url, _ := serve(t, nil, func(s *media.Stream) {
		rctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for s.Stats().Tracks["inbound"].Frames < 1 {
				time.Sleep(time.Millisecond)
			}
			s.Close()
		}()
		for {
			if _, err := s.ReadFrame(rctx); err != nil {
				errs <- err
				return
			}
		}
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	if err := call.SendPCM(ctx, "inbound", make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err == nil || err == io.EOF {
		t.Fatalf("ReadFrame after Close = %v, want an error", err)
	}
	<-call.Done()
	if err := call.Err(); err != nil {
		t.Fatalf("peer saw %v, want a normal closure", err)
	}
}

func TestCloseWithError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want websocket.StatusCode
	}{
		{nil, websocket.StatusNormalClosure},
		{fmt.Errorf("bad input: %w", media.ErrMalformed), websocket.StatusInvalidFramePayloadData},
		{fmt.Errorf("not allowed: %w", media.ErrProtocol), websocket.StatusPolicyViolation},
		{errors.New("detector down"), websocket.StatusInternalError},
	} {
		t.Run(fmt.Sprint(tc.want), func(t *testing.T) {
			ctx := ctxT(t)
			url, _ := serve(t, nil, func(s *media.Stream) {
				if _, err := s.ReadStart(ctx); err != nil {
					t.Error(err)
				}
				if s.Connected() == nil || s.Connected().Version != "1.0.0" {
					t.Errorf("Connected() = %+v", s.Connected())
				}
				s.CloseWithError(tc.err)
			})
			call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer call.Close()
			select {
			case <-call.Done():
			case <-ctx.Done():
				t.Fatal("not closed")
			}
			got := websocket.CloseStatus(call.Err())
			if tc.want == websocket.StatusNormalClosure {
				if call.Err() != nil {
					t.Fatalf("peer saw %v, want a normal closure", call.Err())
				}
				return
			}
			if got != tc.want {
				t.Fatalf("peer saw status %v (%v), want %v", got, call.Err(), tc.want)
			}
		})
	}
}

func TestGapOverMaxGapCloses1008(t *testing.T) {
	err, status := failure(t, &media.AcceptOptions{MaxGap: time.Second}, mediatest.DialOptions{},
		func(ctx context.Context, c *mediatest.Call) error {
			if err := c.SendPCM(ctx, "inbound", sine(160, 100)); err != nil {
				return err
			}
			c.Skip("inbound", 2*time.Second)
			return c.SendPCM(ctx, "inbound", sine(160, 100))
		})
	if !errors.Is(err, media.ErrProtocol) || status != websocket.StatusPolicyViolation {
		t.Fatalf("error %v, status %v; want ErrProtocol and 1008", err, status)
	}
}

func TestDefaultReadLimitIs64KiB(t *testing.T) {
	if media.DefaultReadLimit != 64<<10 {
		t.Fatalf("DefaultReadLimit = %d, want 64 KiB", media.DefaultReadLimit)
	}
	media1 := func(n int) media.Message {
		return media.Message{Event: media.EventMedia, Media: &media.Media{Track: "inbound", Chunk: 1, Payload: make([]byte, n)}}
	}
	// 45000 μ-law bytes are about 60 KB of JSON: under the default limit.
	ctx := ctxT(t)
	call, results := record(t, media.AcceptOptions{}, mediatest.DialOptions{})
	if err := call.SendMessage(ctx, media1(45000)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if res := <-results; res.err != nil || len(res.pcm["inbound"]) != 45000 {
		t.Fatalf("60 KB frame: err %v, %d samples; want it accepted", res.err, len(res.pcm["inbound"]))
	}
	// 50000 bytes are about 67 KB of JSON: over it.
	err, status := failure(t, nil, mediatest.DialOptions{}, func(ctx context.Context, c *mediatest.Call) error {
		return c.SendMessage(ctx, media1(50000))
	})
	if !errors.Is(err, media.ErrMessageTooBig) || status != websocket.StatusMessageTooBig {
		t.Fatalf("67 KB frame: error %v, status %v; want ErrMessageTooBig and 1009", err, status)
	}
}

func TestCloseReasonIsTruncatedAsUTF8(t *testing.T) {
	ctx := ctxT(t)
	long := errors.New("x" + strings.Repeat("é", 100)) // byte 120 falls inside a character
	url, _ := serve(t, nil, func(s *media.Stream) {
		if _, err := s.ReadStart(ctx); err != nil {
			t.Error(err)
		}
		s.CloseWithError(long)
	})
	call, err := mediatest.Dial(ctx, url, mediatest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	<-call.Done()
	var ce websocket.CloseError
	if !errors.As(call.Err(), &ce) {
		t.Fatalf("peer saw %v, want a close frame", call.Err())
	}
	if ce.Code != websocket.StatusInternalError || len(ce.Reason) > 123 || !utf8.ValidString(ce.Reason) ||
		!strings.HasPrefix(ce.Reason, "xé") || !strings.HasSuffix(ce.Reason, "...") {
		t.Fatalf("close %v %q (%d bytes): want 1011 and a valid UTF-8 reason of at most 123 bytes", ce.Code, ce.Reason, len(ce.Reason))
	}
}
