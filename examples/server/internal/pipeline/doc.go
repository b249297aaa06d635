// Package pipeline runs the detection pipeline of the server for each
// Twilio media stream: media frames → per-track 8→16 kHz resampling →
// a detect.Session per track → verdicts stored → events published →
// actions taken on alerts.
//
// A Manager tracks every live stream so that the API can stop one
// detection and shutdown can finish them all: each live track's current
// window is flushed and judged, its verdict and summary persisted, before
// the stream is closed.
package pipeline
