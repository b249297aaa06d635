// Package media speaks Twilio Media Streams: it accepts the WebSocket Twilio
// opens for <Start><Stream> or <Connect><Stream>, checks its signature, and
// turns the JSON frames into a continuous timeline of 8 kHz PCM per track.
//
// A handler accepts the stream and reads frames until io.EOF (the stop
// message):
//
//	func serveStream(w http.ResponseWriter, r *http.Request) {
//		s, err := media.Accept(w, r, &media.AcceptOptions{
//			AuthToken: authToken,                      // checks X-Twilio-Signature
//			PublicURL: "wss://example.com/stream",     // the URL given to Twilio
//			OnEvent:   func(m *media.Message) { ... }, // mark, dtmf, stop, unknown
//		})
//		if err != nil {
//			return // 403 already sent for a bad signature
//		}
//		defer s.Close()
//		start, err := s.ReadStart(r.Context()) // CallSid, tracks, custom parameters
//		...
//		for {
//			f, err := s.ReadFrame(r.Context())
//			if err == io.EOF {
//				break
//			}
//			if err != nil {
//				return // the peer got 1007, 1008 or 1009 already
//			}
//			use(f.Track, f.Timestamp, f.Samples) // f.Gap: silence inserted
//		}
//	}
//
// Each track's timeline has no holes: when Twilio skips silent chunks the
// timestamps jump and ReadFrame inserts silence (Frame.Gap); duplicate and
// out-of-order chunks are dropped and counted in Stats. Frame.Samples is
// reused by the next ReadFrame; copy what you keep. The per-frame path (a
// hand-written parser for media frames, base64 and μ-law into reused buffers)
// does not allocate.
//
// Errors are typed: ErrMalformed (*MalformedError names the field),
// ErrProtocol (*ProtocolError), ErrMessageTooBig and ErrSignature, all usable
// with errors.Is. On a bidirectional stream, SendMedia, SendPCM, SendMark and
// SendClear talk back to Twilio.
//
// Message models every frame in both directions and round-trips Twilio's
// wire format with MarshalJSON and UnmarshalJSON; DecodeUlaw and EncodeUlaw
// convert G.711 μ-law bit-exactly with github.com/zaf/g711.
//
// Package media/mediatest plays Twilio's side for tests.
package media
