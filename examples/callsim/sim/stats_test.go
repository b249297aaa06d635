package sim

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{1, 1 * time.Millisecond},
		{50, 50 * time.Millisecond},
		{50.5, 51 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{99.9, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("Percentile(1..100ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	three := []time.Duration{10, 20, 30}
	if got := Percentile(three, 50); got != 20 {
		t.Errorf("p50 of 3 = %v, want 20", got)
	}
	if got := Percentile(three, 99); got != 30 {
		t.Errorf("p99 of 3 = %v, want 30", got)
	}
}

func TestLatenciesSummary(t *testing.T) {
	var l Latencies
	for _, v := range []time.Duration{5, 1, 4, 2, 3} {
		l.Add(v * time.Millisecond)
	}
	s := l.Summary()
	if s.Count != 5 || s.P50 != 3*time.Millisecond || s.Max != 5*time.Millisecond || s.Mean != 3*time.Millisecond {
		t.Errorf("Summary = %+v", s)
	}
	if s.P50Ms != 3 {
		t.Errorf("P50Ms = %v, want 3", s.P50Ms)
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("Summarize(nil) is not zero")
	}
}
