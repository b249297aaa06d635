package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Sample is one line of the Prometheus text exposition format.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Metrics is a parsed /metrics scrape.
type Metrics struct {
	// Samples are the sample lines, in order.
	Samples []Sample
	// Types maps each metric family declared by a "# TYPE" line to its
	// type (counter, gauge, histogram, ...). A declared family with no
	// samples yet (a labelled counter never incremented) is known to be 0.
	Types map[string]string
}

// ErrMetricsSyntax is wrapped by ParseMetrics for a line it cannot parse.
var ErrMetricsSyntax = errors.New("sim: bad metrics line")

// ParseMetrics parses the Prometheus text exposition format (version
// 0.0.4): comment and blank lines are skipped; every other line is
// name{labels} value [timestamp].
func ParseMetrics(r io.Reader) (Metrics, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	out := Metrics{Types: map[string]string{}}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line[0] == '#' {
			if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" && validMetricName(f[2]) {
				out.Types[f[2]] = f[3]
			}
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return out, fmt.Errorf("%w %d: %v", ErrMetricsSyntax, n, err)
		}
		out.Samples = append(out.Samples, s)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("sim: reading metrics: %w", err)
	}
	return out, nil
}

func parseSample(line string) (Sample, error) {
	var s Sample
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return s, errors.New("no value")
	}
	s.Name = line[:i]
	if !validMetricName(s.Name) {
		return s, fmt.Errorf("invalid metric name %q", s.Name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		labels, tail, err := parseLabels(rest[1:])
		if err != nil {
			return s, err
		}
		s.Labels, rest = labels, tail
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want value [timestamp], got %q", rest)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("value: %w", err)
	}
	s.Value = v
	return s, nil
}

func validMetricName(n string) bool {
	for i, c := range n {
		ok := c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return n != ""
}

// parseLabels parses `a="x",b="y"}` and returns what follows the brace.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, "", errors.New("label without =")
		}
		name := strings.TrimSpace(s[:eq])
		if !validMetricName(name) {
			return nil, "", fmt.Errorf("invalid label name %q", name)
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		if !strings.HasPrefix(s, `"`) {
			return nil, "", errors.New("label value not quoted")
		}
		var b strings.Builder
		i := 1
		closed := false
		for i < len(s) {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				switch s[i+1] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i+1])
				}
				i += 2
				continue
			}
			if c == '"' {
				closed = true
				i++
				break
			}
			b.WriteByte(c)
			i++
		}
		if !closed {
			return nil, "", errors.New("unterminated label value")
		}
		labels[name] = b.String()
		s = strings.TrimLeft(s[i:], " \t")
		if strings.HasPrefix(s, ",") {
			s = s[1:]
		}
	}
}

// Has reports whether the scrape knows metric name: a sample of it, or a
// "# TYPE" line declaring it.
func (m Metrics) Has(name string) bool {
	if _, ok := m.Types[name]; ok {
		return true
	}
	for _, s := range m.Samples {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Sum adds the values of every sample named name whose labels include all
// of match (nil matches every sample).
func (m Metrics) Sum(name string, match map[string]string) float64 {
	var sum float64
	for _, s := range m.Samples {
		if s.Name != name || !matches(s.Labels, match) {
			continue
		}
		sum += s.Value
	}
	return sum
}

// First returns the first name that has samples in m, or "".
func (m Metrics) First(names ...string) string {
	for _, n := range names {
		if m.Has(n) {
			return n
		}
	}
	return ""
}

func matches(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Bucket is one cumulative histogram bucket: Count observations ≤ LE.
type Bucket struct {
	LE    float64
	Count float64
}

// Histogram returns the cumulative buckets of histogram name (the samples
// of name_bucket), summed over every other label and sorted by LE.
func (m Metrics) Histogram(name string) []Bucket {
	byLE := map[float64]float64{}
	for _, s := range m.Samples {
		if s.Name != name+"_bucket" {
			continue
		}
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		if err != nil {
			continue
		}
		byLE[le] += s.Value
	}
	out := make([]Bucket, 0, len(byLE))
	for le, c := range byLE {
		out = append(out, Bucket{LE: le, Count: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LE < out[j].LE })
	return out
}

// DeltaBuckets returns after − before, bucket by bucket (a counter reset
// shows as after alone).
func DeltaBuckets(before, after []Bucket) []Bucket {
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.LE] = b.Count
	}
	out := make([]Bucket, len(after))
	for i, b := range after {
		d := b.Count - prev[b.LE]
		if d < 0 {
			d = b.Count
		}
		out[i] = Bucket{LE: b.LE, Count: d}
	}
	return out
}

// BucketQuantile estimates the q-quantile (0..1) of cumulative buckets the
// way Prometheus's histogram_quantile does: linear interpolation within the
// bucket that holds the rank. A rank in the +Inf bucket returns the largest
// finite bound. It returns NaN when there are no observations.
func BucketQuantile(q float64, buckets []Bucket) float64 {
	if len(buckets) == 0 {
		return math.NaN()
	}
	total := buckets[len(buckets)-1].Count
	if total <= 0 || math.IsNaN(q) {
		return math.NaN()
	}
	q = math.Max(0, math.Min(1, q))
	rank := q * total
	lowerBound, lowerCount := 0.0, 0.0
	for i, b := range buckets {
		if b.Count >= rank {
			if math.IsInf(b.LE, 1) {
				if i == 0 {
					return math.NaN()
				}
				return buckets[i-1].LE
			}
			if b.Count == lowerCount {
				return b.LE
			}
			return lowerBound + (b.LE-lowerBound)*(rank-lowerCount)/(b.Count-lowerCount)
		}
		lowerBound, lowerCount = b.LE, b.Count
	}
	return buckets[len(buckets)-1].LE
}
