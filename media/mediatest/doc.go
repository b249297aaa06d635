// Package mediatest plays Twilio's side of a Media Stream, so servers built
// on package media (or any Media Streams server) are tested offline, without
// hand-written JSON.
//
// Dial opens the WebSocket, signing the upgrade like Twilio, and sends
// connected and start; the Send methods stream audio as 20 ms μ-law media
// messages with Twilio's chunk and timestamp numbering; Stop sends stop and
// closes:
//
//	srv := httptest.NewServer(handler) // a handler calling media.Accept
//	call, err := mediatest.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), mediatest.DialOptions{
//		AuthToken:        authToken,
//		SignURL:          "wss://example.com/stream", // the server's PublicURL
//		CallSid:          "CA123",
//		CustomParameters: map[string]string{"caller": "+15550100"},
//	})
//	...
//	err = call.SendPCM(ctx, media.TrackInbound, pcm8k, mediatest.SkipSilence(true))
//	err = call.SendDTMF(ctx, "5")
//	err = call.Stop(ctx)
//
// Audio goes as fast as possible unless Realtime pacing is on. With
// SkipSilence, silent frames are left out while timestamps keep counting,
// which is what Twilio does; Skip makes such a jump explicitly. SendBoth
// interleaves inbound and outbound tracks; StreamWAV sends a WAV file at any rate
// (converted to 8 kHz by package resample or DialOptions.Resample).
//
// What the server sends back on a bidirectional stream (media, mark, clear)
// is kept: ReadMessage returns it in order, Received and Played give
// snapshots, and marks are echoed as Twilio echoes them. Err reports the
// server's close status (1007, 1008, 1009…) when it ended the stream.
package mediatest
