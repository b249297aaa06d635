package sim

import (
	"slices"
	"sync"
	"time"
)

// Latencies collects durations from many goroutines and summarises them.
// The zero value is ready to use.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// AddAll records many durations at once.
func (l *Latencies) AddAll(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// Len returns how many durations were recorded.
func (l *Latencies) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// Summary returns the count, mean, p50, p90, p99 and max of what was
// recorded so far.
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	return Summarize(d)
}

// Summary describes a set of durations. Durations encode as nanoseconds in
// JSON; the Ms fields repeat them in milliseconds for people.
type Summary struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
	P50Ms float64       `json:"p50_ms"`
	P99Ms float64       `json:"p99_ms"`
}

// Summarize computes a Summary of d; it sorts d in place.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	s := Summary{
		Count: len(d),
		Mean:  sum / time.Duration(len(d)),
		P50:   Percentile(d, 50),
		P90:   Percentile(d, 90),
		P99:   Percentile(d, 99),
		Max:   d[len(d)-1],
	}
	s.P50Ms = ms(s.P50)
	s.P99Ms = ms(s.P99)
	return s
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value such that at least p% of the
// values are less than or equal to it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// rank = ceil(p/100 * n), 1-based.
	r := int(p * float64(n) / 100)
	if float64(r)*100 < p*float64(n) {
		r++
	}
	if r < 1 {
		r = 1
	}
	return sorted[r-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
