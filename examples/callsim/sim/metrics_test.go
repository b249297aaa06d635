package sim

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const scrape = `# HELP callguard_frames_total Audio frames received, by track.
# TYPE callguard_frames_total counter
callguard_frames_total{track="inbound"} 1500
callguard_frames_total{track="outbound"} 500
callguard_dropped_total{reason="queue_full"} 3
# TYPE callguard_vendor_latency_seconds histogram
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="0.1"} 0
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="0.25"} 10
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="0.5"} 100
callguard_vendor_latency_seconds_bucket{vendor="resemble",le="+Inf"} 100
callguard_vendor_latency_seconds_sum{vendor="resemble"} 31.5
callguard_vendor_latency_seconds_count{vendor="resemble"} 100
weird_label{a="x\"y\\z\nw",b="2"} 1e3 1700000000000
process_cpu_seconds_total 12.5
`

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(scrape))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Sum("callguard_frames_total", nil); got != 2000 {
		t.Errorf("frames = %v, want 2000", got)
	}
	if got := m.Sum("callguard_frames_total", map[string]string{"track": "inbound"}); got != 1500 {
		t.Errorf("inbound frames = %v, want 1500", got)
	}
	if got := m.Sum("process_cpu_seconds_total", nil); got != 12.5 {
		t.Errorf("cpu = %v", got)
	}
	var weird Sample
	for _, s := range m.Samples {
		if s.Name == "weird_label" {
			weird = s
		}
	}
	if weird.Labels["a"] != "x\"y\\z\nw" || weird.Labels["b"] != "2" || weird.Value != 1000 {
		t.Errorf("escaped labels: %+v", weird)
	}
	// Declared but never incremented: known, and zero.
	m2, _ := ParseMetrics(strings.NewReader("# TYPE callguard_dropped_total counter\n"))
	if !m2.Has("callguard_dropped_total") || m2.Sum("callguard_dropped_total", nil) != 0 || m2.Has("other") {
		t.Error("declared family without samples")
	}
	if m.First("nope", "process_cpu_seconds_total") != "process_cpu_seconds_total" || m.First("nope") != "" {
		t.Error("First")
	}
}

func TestParseMetricsErrors(t *testing.T) {
	for _, in := range []string{
		"novalue\n",
		"9bad 1\n",
		`x{a="1" 2` + "\n",
		`x{a=1} 2` + "\n",
		"x 1 2 3\n",
		"x abc\n",
	} {
		if _, err := ParseMetrics(strings.NewReader(in)); !errors.Is(err, ErrMetricsSyntax) {
			t.Errorf("ParseMetrics(%q) err = %v, want ErrMetricsSyntax", in, err)
		}
	}
}

func TestBucketQuantile(t *testing.T) {
	m, _ := ParseMetrics(strings.NewReader(scrape))
	b := m.Histogram("callguard_vendor_latency_seconds")
	if len(b) != 4 {
		t.Fatalf("buckets = %v", b)
	}
	// rank 50 of 100 falls in (0.25, 0.5] holding 90: 0.25 + 0.25*40/90.
	want := 0.25 + 0.25*40.0/90.0
	if got := BucketQuantile(0.5, b); math.Abs(got-want) > 1e-9 {
		t.Errorf("p50 = %v, want %v", got, want)
	}
	if got := BucketQuantile(0.05, b); math.Abs(got-(0.1+0.15*5.0/10.0)) > 1e-9 {
		t.Errorf("p5 = %v", got)
	}
	if !math.IsNaN(BucketQuantile(0.5, nil)) {
		t.Error("empty histogram should be NaN")
	}
	// Everything in +Inf: the largest finite bound.
	inf := []Bucket{{LE: 1, Count: 0}, {LE: math.Inf(1), Count: 5}}
	if got := BucketQuantile(0.99, inf); got != 1 {
		t.Errorf("all in +Inf = %v, want 1", got)
	}
	// Delta of two scrapes.
	before := []Bucket{{0.1, 1}, {0.5, 2}, {math.Inf(1), 2}}
	after := []Bucket{{0.1, 1}, {0.5, 12}, {math.Inf(1), 12}}
	d := DeltaBuckets(before, after)
	if d[0].Count != 0 || d[1].Count != 10 || d[2].Count != 10 {
		t.Errorf("delta = %v", d)
	}
	if got := BucketQuantile(0.5, d); math.Abs(got-0.3) > 1e-9 {
		t.Errorf("delta p50 = %v, want 0.3", got)
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add(scrape)
	f.Add(`a{b="c",} 1`)
	f.Add(`a{b="\` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMetrics(strings.NewReader(in))
		if err != nil && !errors.Is(err, ErrMetricsSyntax) && !strings.Contains(err.Error(), "reading metrics") {
			t.Fatalf("unexpected error type: %v", err)
		}
		for _, s := range m.Samples {
			if !validMetricName(s.Name) {
				t.Fatalf("invalid name accepted: %q", s.Name)
			}
		}
		_ = BucketQuantile(0.99, m.Histogram("a"))
	})
}
