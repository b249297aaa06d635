#!/bin/sh
# Regenerates the speech WAVs that callsim ships (embedded in the binary).
# Made offline with Debian's espeak-ng 1.51 and sox 14.4.2:
#   apt-get install -y espeak-ng sox
# Run from this directory: sh gen.sh (sox -D -R: no dither, repeatable, so
# the output is byte-identical on every run).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. hello-16k.wav: about 7.5 s of English speech with a 1 s pause in the
#    middle (so -skip-silence has something to skip), 16 kHz mono 16-bit.
espeak-ng -v en-us -s 165 -w "$tmp/a.wav" "Hello, this is a test call. Please hold."
espeak-ng -v en-us -s 165 -w "$tmp/b.wav" "Your code is four two seven one. Thank you."
sox -D -R "$tmp/a.wav" -r 16000 -c 1 -b 16 "$tmp/a16.wav" pad 0.2 0
sox -D -R "$tmp/b.wav" -r 16000 -c 1 -b 16 "$tmp/b16.wav" pad 0.8 0.2
sox -D -R "$tmp/a16.wav" "$tmp/b16.wav" -r 16000 -c 1 -b 16 hello-16k.wav

# 2. hello-8k.wav: the same speech at telephone rate, 8 kHz mono 16-bit.
sox -D -R hello-16k.wav -r 8000 -c 1 -b 16 hello-8k.wav

# 3. marker-16k.wav: the same speech with a 1 kHz sine mixed in for its
#    whole length (sox -m halves both inputs, so the tone peaks at 1/8 full
#    scale and carries most of the energy). detect/resembletest judges audio
#    whose energy is mostly its 1 kHz marker tone as synthetic, so this file
#    plays the deepfake caller (checked by TestBundledWAVsAgainstResembletest).
len=$(soxi -D hello-16k.wav)
sox -D -R -n -r 16000 -c 1 -b 16 "$tmp/tone.wav" synth "$len" sine 1000 vol 0.25
sox -D -R -m hello-16k.wav "$tmp/tone.wav" -r 16000 -c 1 -b 16 marker-16k.wav
