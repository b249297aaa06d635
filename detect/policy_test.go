package detect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/detect"
)

func vs(labels string, score float64) []detect.Verdict {
	var out []detect.Verdict
	for _, c := range labels {
		l := detect.Real
		if c == 'F' {
			l = detect.Fake
		}
		out = append(out, detect.Verdict{Label: l, Score: score})
	}
	return out
}

func TestKOfNCheck(t *testing.T) {
	p := detect.DefaultPolicy()
	for _, tc := range []struct {
		recent string
		score  float64
		fire   bool
	}{
		{"F", 0.9, false},
		{"FF", 0.9, true},
		{"FRF", 0.9, true},
		{"FRRF", 0.9, false}, // only the last 3 count
		{"RFF", 0.8, true},   // ≥ 0.8 inclusive
		{"FFF", 0.79, false}, // below MinScore
	} {
		reason, fire := p.Check(vs(tc.recent, tc.score))
		if fire != tc.fire || (fire && !strings.Contains(reason, "of the last")) {
			t.Errorf("%s@%v: fire=%v %q", tc.recent, tc.score, fire, reason)
		}
	}
	custom := detect.KOfN{K: 3, N: 5, MinScore: 0.5}
	if _, fire := custom.Check(vs("FRFRR", 0.6)); fire {
		t.Error("3 of 5 fired with 2 fakes")
	}
	if _, fire := custom.Check(vs("FRFRF", 0.6)); !fire {
		t.Error("3 of 5 did not fire with 3 fakes")
	}
	if _, fire := (detect.KOfN{}).Check(vs("FF", 0)); !fire {
		t.Error("zero KOfN should mean 2 of 3 at any score")
	}
}

func TestKOfNDecide(t *testing.T) {
	p := detect.DefaultPolicy()
	for _, tc := range []struct {
		s       detect.Summary
		alerted bool
		want    detect.Decision
	}{
		{detect.Summary{Judged: 1}, true, detect.LikelyFake},
		{detect.Summary{Judged: 2}, false, detect.Inconclusive},
		{detect.Summary{Judged: 10, Fake: 1, MaxScore: 0.9}, false, detect.Inconclusive},
		{detect.Summary{Judged: 10, Fake: 1, MaxScore: 0.6}, false, detect.LikelyReal},
		{detect.Summary{Judged: 3}, false, detect.LikelyReal},
	} {
		if got := p.Decide(tc.s, tc.alerted); got != tc.want {
			t.Errorf("Decide(%+v, %v) = %v, want %v", tc.s, tc.alerted, got, tc.want)
		}
	}
}

func TestVoicedSamples(t *testing.T) {
	const rate = 8000
	if n := detect.VoicedSamples(make([]int16, rate), rate, -40); n != 0 {
		t.Errorf("silence: %d voiced", n)
	}
	// -30 dBFS square wave ≈ 1036 amplitude: voiced at -40, not at -20.
	sq := make([]int16, rate)
	for i := range sq {
		sq[i] = int16((i%2)*2-1) * 1036
	}
	if n := detect.VoicedSamples(sq, rate, -40); n != rate {
		t.Errorf("-30 dBFS at -40 threshold: %d voiced", n)
	}
	if n := detect.VoicedSamples(sq, rate, -20); n != 0 {
		t.Errorf("-30 dBFS at -20 threshold: %d voiced", n)
	}
	if n := detect.VoicedSamples(sq[:170], rate, -40); n != 170 { // 160 + short 10-sample frame
		t.Errorf("short tail: %d voiced", n)
	}
	if detect.VoicedSamples(sq, 0, -40) != 0 {
		t.Error("rate 0 should give 0")
	}
}

func TestDetectorMayAnswerNoSpeechOrUnknown(t *testing.T) {
	rec := &recorder{t: t}
	d := detect.DetectorFunc(func(ctx context.Context, c detect.Clip) (detect.Verdict, error) {
		if c.Start == 0 {
			return detect.Verdict{Label: detect.NoSpeech, Score: 0.7}, nil
		}
		return detect.Verdict{Label: detect.Unknown}, nil
	})
	s := detect.NewSession(d, rec.opts(detect.SessionOptions{Window: 10 * time.Millisecond, SampleRate: 1000, MinSpeech: -1}))
	_ = s.Write(loud(20))
	sum, _ := s.Close(context.Background())
	if rec.verdicts[0].Label != detect.NoSpeech || rec.verdicts[0].Score != 0 {
		t.Errorf("verdict 0 = %+v", rec.verdicts[0])
	}
	if rec.verdicts[1].Label != detect.Unknown || rec.verdicts[1].Err == "" {
		t.Errorf("verdict 1 = %+v", rec.verdicts[1])
	}
	if sum.Speech != 1 || sum.Errors != 1 || sum.Judged != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestVerdictJSON(t *testing.T) {
	b, err := json.Marshal(detect.Verdict{CallSid: "CA1", Label: detect.NoSpeech, Start: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"call_sid":"CA1"`) || !strings.Contains(string(b), `"label":"no_speech"`) ||
		!strings.Contains(string(b), `"start":1000000000`) || strings.Contains(string(b), `"error"`) {
		t.Errorf("json = %s", b)
	}
	for _, l := range []detect.Label{detect.Real, detect.Fake, detect.NoSpeech, detect.Unknown} {
		if !l.Valid() {
			t.Errorf("%v not valid", l)
		}
	}
	if detect.Label("maybe").Valid() {
		t.Error("maybe valid")
	}
}

func ExampleKOfN() {
	// A stricter policy: alert on 3 of the last 5 speech windows fake at ≥ 0.9.
	p := detect.KOfN{K: 3, N: 5, MinScore: 0.9}
	recent := []detect.Verdict{
		{Label: detect.Fake, Score: 0.95},
		{Label: detect.Real, Score: 0.10},
		{Label: detect.Fake, Score: 0.97},
		{Label: detect.Fake, Score: 0.85}, // below MinScore: does not count
	}
	_, alert := p.Check(recent)
	fmt.Println(alert)
	reason, alert := p.Check(append(recent, detect.Verdict{Label: detect.Fake, Score: 0.99}))
	fmt.Println(alert, reason)
	fmt.Println(p.Decide(detect.Summary{Judged: 5, Fake: 4, MaxScore: 0.99}, alert))
	// Output:
	// false
	// true 3 of the last 5 speech windows fake (score ≥ 0.90)
	// likely_fake
}
