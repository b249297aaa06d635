module github.com/callguard/callguard/bench/resample

go 1.26.0

require github.com/callguard/callguard v0.0.0

require (
	github.com/go-audio/audio v1.0.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/callguard/callguard => ../..
