package media

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/coder/websocket"
)

// Send writes m to Twilio, filling StreamSid from the start message when it
// is empty. It is meant for bidirectional streams (<Connect><Stream>), where
// Twilio accepts media, mark and clear. It returns ErrNotStarted before the
// start message has been read. Safe for concurrent use.
func (s *Stream) Send(ctx context.Context, m Message) error {
	st := s.start.Load()
	if st == nil {
		return ErrNotStarted
	}
	if m.StreamSid == "" {
		m.StreamSid = st.StreamSid
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("media: send %s: %w", m.Event, err)
	}
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("media: send %s: %w", m.Event, err)
	}
	return nil
}

// SendMedia queues raw μ-law audio (8 kHz mono) for Twilio to play to the
// call.
func (s *Stream) SendMedia(ctx context.Context, ulaw []byte) error {
	return s.Send(ctx, Message{Event: EventMedia, Media: &Media{Payload: ulaw}})
}

// SendPCM encodes 8 kHz PCM to μ-law and sends it like SendMedia.
func (s *Stream) SendPCM(ctx context.Context, pcm []int16) error {
	return s.SendMedia(ctx, EncodeUlaw(nil, pcm))
}

// SendMark sends a mark after the queued media; Twilio echoes it (delivered
// to AcceptOptions.OnEvent) once that audio has played or been cleared.
func (s *Stream) SendMark(ctx context.Context, name string) error {
	return s.Send(ctx, Message{Event: EventMark, Mark: &Mark{Name: name}})
}

// SendClear asks Twilio to drop the audio queued by SendMedia.
func (s *Stream) SendClear(ctx context.Context) error {
	return s.Send(ctx, Message{Event: EventClear})
}
