//go:build linux && race

package main

// raceEnabled builds the drills' server with -race too, so it reuses the
// packages `go test -race` has just compiled.
const raceEnabled = true
