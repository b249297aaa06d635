// Command resample-bench compares callguard's resampler with libsoxr and
// speexdsp on the same input, fed in 160-sample chunks (one Twilio frame),
// and prints one table. See README.md.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callguard/callguard/internal/dspmeasure"
	"github.com/callguard/callguard/resample"
)

const (
	chunk = 160     // samples per Process call (one Twilio frame)
	amp   = 16384.0 // -6 dBFS
	top   = 0.85    // measured passband, fraction of the lower Nyquist
)

type conv struct{ in, out int }

var (
	toneSeconds int
	toneSegs    int
	verbose     bool
)

func main() {
	speedSeconds := flag.Float64("speed", 2, "seconds of audio per timed run")
	rounds := flag.Int("rounds", 15, "timed runs per engine (interleaved; the fastest counts)")
	flag.IntVar(&toneSeconds, "tone", 4, "seconds of audio per test tone segment")
	flag.IntVar(&toneSegs, "segs", 16, "segments per test tone in the 16-bit table: tone fits average their power over them")
	flag.BoolVar(&verbose, "v", false, "print per-tone figures")
	only := flag.String("engines", "", "comma-separated engine name prefixes to run (default all)")
	convList := flag.String("convs", "", "comma-separated conversions to run, e.g. 8000:48000 (default the four)")
	tables := flag.String("tables", "all", "tables to print: all, or int16 (the first table only)")
	flag.Parse()

	convs := []conv{{8000, 16000}, {8000, 48000}, {16000, 8000}, {48000, 16000}}
	if *convList != "" {
		convs = convs[:0]
		for _, s := range strings.Split(*convList, ",") {
			var c conv
			if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &c.in, &c.out); err != nil {
				fmt.Fprintf(os.Stderr, "bad -convs entry %q: %v\n", s, err)
				os.Exit(2)
			}
			convs = append(convs, c)
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "conversion\tengine\tripple dB\tSINAD dB min/mean\timg/alias tone dB\timg/alias energy dB\tenergy >Nyq dB\tns/in-sample\tlatency ms mean/max\tDelay()\t")
	for _, c := range convs {
		var fs []factory
		for _, f := range factories {
			if *only == "" || hasPrefix(f.name, *only) {
				fs = append(fs, f)
			}
		}
		ns := speed(fs, c, *speedSeconds, *rounds)
		for i, f := range fs {
			row, err := measureAll(f, c)
			row.ns = ns[i]
			if err != nil {
				fmt.Fprintf(w, "%d→%d\t%s\terror: %v\t\t\t\t\t\t\t\t\n", c.in, c.out, f.name, err)
				continue
			}
			fmt.Fprintf(w, "%d→%d\t%s\t%.4f\t%.2f / %.2f\t%s\t%s\t%s\t%.2f\t%.1f / %.1f\t%.1f\t\n",
				c.in, c.out, f.name, row.ripple, row.sinad, row.sinadMean, dbStr(row.rejTone), dbStr(row.rejPass), dbStr(row.rejFull), row.ns, row.latMean, row.latMax, row.delay)
		}
		fmt.Fprintln(w, "\t\t\t\t\t\t\t\t\t\t")
	}
	w.Flush()
	if *tables == "int16" {
		return
	}

	fmt.Println()
	fmt.Println("callguard with float32 I/O (filter stopband, no 16-bit rounding):")
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "conversion\tquality\tSINAD dB\timg/alias (pass) dB\timg/alias (>Nyq) dB\tns/in-sample\t")
	for _, c := range convs {
		for _, q := range []resample.Quality{resample.Quick, resample.Medium, resample.High, resample.VeryHigh} {
			s, rp, rf, ns := measureFloat(c, q, *speedSeconds, *rounds)
			fmt.Fprintf(w, "%d→%d\t%v\t%.1f\t%s\t%s\t%.1f\t\n", c.in, c.out, q, s, dbStr(rp), dbStr(rf), ns)
		}
	}
	w.Flush()

	fmt.Println()
	fmt.Println("filter rejection with float32 I/O, callguard against soxr (no 16-bit floor):")
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "conversion\tengine\tSINAD dB\timg/alias tone dB\timg/alias (pass) dB\timg/alias (>Nyq) dB\t")
	for _, c := range convs {
		for _, f := range floatFactories {
			if *only != "" && !hasPrefix(f.name, *only) {
				continue
			}
			s, rt, rp, rf, err := measureFloatEngine(f, c)
			if err != nil {
				fmt.Fprintf(w, "%d→%d\t%s\terror: %v\t\t\t\t\n", c.in, c.out, f.name, err)
				continue
			}
			fmt.Fprintf(w, "%d→%d\t%s\t%.1f\t%s\t%s\t%s\t\n", c.in, c.out, f.name, s, dbStr(rt), dbStr(rp), dbStr(rf))
		}
	}
	w.Flush()
}

// measureFloatEngine is measureAll's quality part with float32 I/O (tones
// at -6 dBFS, full scale 1.0): SINAD, image/alias tone rejection, and the
// energy rejections, with nothing but the engine's own arithmetic as noise.
func measureFloatEngine(f floatFactory, c conv) (sinad, rejTone, rejPass, rejFull float64, err error) {
	in, out := float64(c.in), float64(c.out)
	fN := min(in, out) / 2
	skip := int(0.05 * out)
	run := func(ft float64) ([]float64, error) {
		e, err := f.new(c.in, c.out)
		if err != nil {
			return nil, err
		}
		defer e.close()
		x := make([]float32, c.in*toneSeconds)
		for i := range x {
			x[i] = float32(0.5 * math.Sin(2*math.Pi*ft*float64(i)/in))
		}
		var y []float32
		for i := 0; i < len(x); i += chunk {
			y = e.processF(y, x[i:min(i+chunk, len(x))])
		}
		y = e.flushF(y)
		v := make([]float64, 0, len(y))
		for _, s := range y[skip : len(y)-skip] {
			v = append(v, float64(s))
		}
		return v, nil
	}
	sinad, rejTone, rejPass, rejFull = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	for _, ft := range passTones(fN) {
		y, err := run(ft)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		a, res := dspmeasure.SineFit(y, 2*math.Pi*ft/out)
		sig := a * a / 2
		sinad = min(sinad, dspmeasure.DB(sig/dspmeasure.Power(res)))
		if c.out > c.in {
			rejPass = min(rejPass, dspmeasure.DB(sig/dspmeasure.BandPower(res, (2-f.pass)*fN/out, 0.5)))
			rejFull = min(rejFull, dspmeasure.DB(sig/dspmeasure.BandPower(res, fN/out, 0.5)))
			ai, _ := dspmeasure.SineFit(res, 2*math.Pi*(in-ft)/out)
			rejTone = min(rejTone, dspmeasure.DB(sig/(ai*ai/2)))
		}
	}
	if c.in > c.out {
		for k := 0; ; k++ {
			ft := (1.02 + 0.1*float64(k)) * fN * 0.99731
			if ft >= 0.95*in/2 {
				break
			}
			y, err := run(ft)
			if err != nil {
				return 0, 0, 0, 0, err
			}
			rej := dspmeasure.DB(0.125 / dspmeasure.Power(y))
			rejFull = min(rejFull, rej)
			if ft >= (2-f.pass)*fN {
				rejPass = min(rejPass, rej)
				fa := math.Mod(ft, out)
				if fa > out/2 {
					fa = out - fa
				}
				aa, _ := dspmeasure.SineFit(y, 2*math.Pi*fa/out)
				rejTone = min(rejTone, dspmeasure.DB(0.25/(aa*aa)))
			}
		}
	}
	return sinad, rejTone, rejPass, rejFull, nil
}

func hasPrefix(name, list string) bool {
	for p := range strings.SplitSeq(list, ",") {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func dbStr(v float64) string {
	if math.IsInf(v, 1) || v > 200 {
		return "inf"
	}
	return fmt.Sprintf("%.1f", v)
}

type row struct {
	ripple, sinad, sinadMean, rejTone, rejPass, rejFull, ns, latMean, latMax, delay float64
}

// stream runs x through a fresh engine in 160-sample chunks and flushes.
func stream(f factory, c conv, x []int16) ([]int16, error) {
	e, err := f.new(c.in, c.out)
	if err != nil {
		return nil, err
	}
	defer e.close()
	var y []int16
	for i := 0; i < len(x); i += chunk {
		y = e.process(y, x[i:min(i+chunk, len(x))])
	}
	return e.flush(y), nil
}

func tone(n int, f float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(math.Round(amp * math.Sin(2*math.Pi*f*float64(i))))
	}
	return x
}

// segFit fits a sine of angular frequency w to each of toneSegs equal
// segments of y and returns the mean of the fitted powers (Bartlett's
// method). If w0 is not zero, a sine of angular frequency w0 (the test
// tone) is fitted and removed from each segment first. A component far
// below the output's noise is then estimated from toneSegs independent
// draws of that noise instead of one: a single least-squares fit of noise
// has a power that is exponentially distributed around its mean (its
// standard deviation is its mean), so the worst of several tones' single
// fits says more about the draw than about the filter.
func segFit(y []float64, w0, w float64) float64 {
	l := len(y) / toneSegs
	var p float64
	for k := range toneSegs {
		seg := y[k*l : (k+1)*l]
		if w0 != 0 {
			_, seg = dspmeasure.SineFit(seg, w0)
		}
		a, _ := dspmeasure.SineFit(seg, w)
		p += a * a / 2
	}
	return p / float64(toneSegs)
}

func passTones(fN float64) []float64 {
	var fs []float64
	for _, frac := range []float64{0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85} {
		fs = append(fs, frac*fN*0.99731)
	}
	fs[len(fs)-1] = top * fN * 0.99973
	return fs
}

func measureAll(f factory, c conv) (row, error) {
	var r row
	in, out := float64(c.in), float64(c.out)
	fN := min(in, out) / 2
	// Each tone runs for toneSegs*toneSeconds; SINAD, gain and energies
	// are measured on its first toneSeconds (as one tone of that length,
	// which a longer one does not change: the engines are causal), the
	// tone fits over all toneSegs segments (segFit).
	n := c.in * toneSeconds * toneSegs
	skip := int(0.05 * out)
	first := c.out*toneSeconds - skip
	r.sinad, r.rejTone, r.rejPass, r.rejFull = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	var noiseSum float64
	tones := passTones(fN)
	for _, ft := range tones {
		y, err := stream(f, c, tone(n, ft/in))
		if err != nil {
			return r, err
		}
		all := dspmeasure.Int16sToFloat(y[skip : len(y)-skip])
		a, res := dspmeasure.SineFit(all[:first-skip], 2*math.Pi*ft/out)
		r.ripple = max(r.ripple, math.Abs(20*math.Log10(a/amp)))
		sig := a * a / 2
		r.sinad = min(r.sinad, dspmeasure.DB(sig/dspmeasure.Power(res)))
		noiseSum += dspmeasure.Power(res) / sig
		if verbose {
			fmt.Fprintf(os.Stderr, "%s %v tone %.1f Hz: gain %.5f dB SINAD %.2f dB\n", f.name, c, ft, 20*math.Log10(a/amp), dspmeasure.DB(sig/dspmeasure.Power(res)))
		}
		if c.out > c.in {
			r.rejPass = min(r.rejPass, dspmeasure.DB(sig/dspmeasure.BandPower(res, (2-top)*fN/out, 0.5)))
			r.rejFull = min(r.rejFull, dspmeasure.DB(sig/dspmeasure.BandPower(res, fN/out, 0.5)))
			pi := segFit(all, 2*math.Pi*ft/out, 2*math.Pi*(in-ft)/out) // first image, fitted after removing the tone
			r.rejTone = min(r.rejTone, dspmeasure.DB(sig/pi))
			if verbose {
				fmt.Fprintf(os.Stderr, "%s %v tone %.1f Hz: image tone %.1f dB, image energy %.3f dB, energy >Nyq %.3f dB\n", f.name, c, ft, dspmeasure.DB(sig/pi), dspmeasure.DB(sig/dspmeasure.BandPower(res, (2-top)*fN/out, 0.5)), dspmeasure.DB(sig/dspmeasure.BandPower(res, fN/out, 0.5)))
			}
		}
	}
	r.sinadMean = dspmeasure.DB(float64(len(tones)) / noiseSum)
	if c.in > c.out {
		// Tones above the output Nyquist: "pass" = those folding into the
		// measured passband (>= (2-top)*fN); ">Nyq" = all from 1.02*fN.
		for k := 0; ; k++ {
			ft := (1.02 + 0.1*float64(k)) * fN * 0.99731 // no short-period tones
			if ft >= 0.95*in/2 {
				break
			}
			y, err := stream(f, c, tone(n, ft/in))
			if err != nil {
				return r, err
			}
			all := dspmeasure.Int16sToFloat(y[skip : len(y)-skip])
			rej := dspmeasure.DB(amp * amp / 2 / dspmeasure.Power(all[:first-skip]))
			r.rejFull = min(r.rejFull, rej)
			if ft >= (2-top)*fN {
				r.rejPass = min(r.rejPass, rej)
				fa := math.Mod(ft, out)
				if fa > out/2 {
					fa = out - fa
				}
				pa := segFit(all, 0, 2*math.Pi*fa/out)
				r.rejTone = min(r.rejTone, dspmeasure.DB(amp*amp/2/pa))
				if verbose {
					fmt.Fprintf(os.Stderr, "%s %v tone %.1f Hz: alias at %.1f Hz: alias tone %.2f dB, energy %.3f dB\n", f.name, c, ft, fa, dspmeasure.DB(amp*amp/2/pa), rej)
				}
			}
		}
	}
	var err error
	r.latMean, r.latMax, r.delay, err = latency(f, c)
	return r, err
}

// latency feeds 20 ms chunks and reports how much input time has gone in
// but not yet come out, after each chunk (mean and max over 2 s), using the
// engine's measured alignment (output time of an input pulse).
func latency(f factory, c conv) (mean, worst, delay float64, err error) {
	in, out := float64(c.in), float64(c.out)
	// Alignment: where does a band-limited pulse at input sample p land?
	p := c.in / 2
	x := make([]int16, c.in)
	bw := 0.4 * min(in, out) / 2 / in // cycles per input sample
	for i := range x {
		k := float64(i - p)
		s := 1.0
		if k != 0 {
			s = math.Sin(2*math.Pi*bw*k) / (2 * math.Pi * bw * k)
		}
		w := 0.0
		if math.Abs(k) < 200 {
			w = 0.5 + 0.5*math.Cos(math.Pi*k/200)
		}
		x[i] = int16(math.Round(20000 * s * w))
	}
	y, err := stream(f, c, x)
	if err != nil {
		return 0, 0, 0, err
	}
	pk := 0
	for i := range y {
		if y[i] > y[pk] {
			pk = i
		}
	}
	fine := float64(pk)
	if pk > 0 && pk+1 < len(y) {
		a, b, cc := float64(y[pk-1]), float64(y[pk]), float64(y[pk+1])
		fine += 0.5 * (a - cc) / (a - 2*b + cc)
	}
	align := fine/out - float64(p)/in // seconds the output lags time-aligned

	e, err := f.new(c.in, c.out)
	if err != nil {
		return 0, 0, 0, err
	}
	defer e.close()
	frame := c.in / 50
	sig := speechish(2*c.in, c.in)
	var got int
	var lat []float64
	for i := 0; i+frame <= len(sig); i += frame {
		got += len(e.process(nil, sig[i:i+frame]))
		if i == 0 {
			delay = e.delay()
		}
		tin := float64(i+frame) / in
		tout := float64(got)/out - align
		lat = append(lat, 1000*(tin-tout))
	}
	lat = lat[5:] // steady state
	s := 0.0
	for _, v := range lat {
		s += v
	}
	return s / float64(len(lat)), slices.Max(lat), delay, nil
}

// speechish returns n samples of noise shaped like speech (low-passed,
// amplitude-modulated), peak about -6 dBFS.
func speechish(n, rate int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]int16, n)
	var lp float64
	for i := range x {
		lp += 0.3 * (rng.NormFloat64() - lp)
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*float64(i)/float64(rate))
		x[i] = int16(max(-32768, min(32767, math.Round(8000*env*lp))))
	}
	return x
}

func measureFloat(c conv, q resample.Quality, speedSeconds float64, rounds int) (sinad, rejPass, rejFull, ns float64) {
	in, out := float64(c.in), float64(c.out)
	fN := min(in, out) / 2
	r, err := resample.New(c.in, c.out, resample.WithQuality(q))
	if err != nil {
		panic(err)
	}
	run := func(f float64) []float64 {
		x := make([]float32, c.in*toneSeconds)
		for i := range x {
			x[i] = float32(0.5 * math.Sin(2*math.Pi*f*float64(i)/in))
		}
		var y []float32
		for i := 0; i < len(x); i += chunk {
			y = r.ProcessFloat32(y, x[i:min(i+chunk, len(x))])
		}
		y = r.FlushFloat32(y)
		skip := int(0.05 * out)
		v := make([]float64, 0, len(y))
		for _, s := range y[skip : len(y)-skip] {
			v = append(v, float64(s))
		}
		return v
	}
	sinad, rejPass, rejFull = math.Inf(1), math.Inf(1), math.Inf(1)
	pass := top // measured passband: up to each quality's passband edge
	switch q {
	case resample.Quick:
		pass = 0.75
	case resample.Medium:
		pass = 0.80
	}
	for _, ft := range passTones(fN) {
		if ft > pass*fN {
			continue
		}
		a, res := dspmeasure.SineFit(run(ft), 2*math.Pi*ft/out)
		sig := a * a / 2
		sinad = min(sinad, dspmeasure.DB(sig/dspmeasure.Power(res)))
		if c.out > c.in {
			rejPass = min(rejPass, dspmeasure.DB(sig/dspmeasure.BandPower(res, (2-pass)*fN/out, 0.5)))
			rejFull = min(rejFull, dspmeasure.DB(sig/dspmeasure.BandPower(res, fN/out, 0.5)))
		}
	}
	if c.in > c.out {
		for k := 0; ; k++ {
			ft := (1.02 + 0.1*float64(k)) * fN * 0.99731
			if ft >= 0.95*in/2 {
				break
			}
			rej := dspmeasure.DB(0.125 / dspmeasure.Power(run(ft)))
			rejFull = min(rejFull, rej)
			if ft >= (2-pass)*fN {
				rejPass = min(rejPass, rej)
			}
		}
	}
	x := make([]float32, int(speedSeconds*in))
	for i, v := range speechish(len(x), c.in) {
		x[i] = float32(v) / 32768
	}
	var buf []float32
	ns = math.Inf(1)
	for range rounds {
		r.Reset()
		t0 := time.Now()
		for i := 0; i < len(x); i += chunk {
			buf = r.ProcessFloat32(buf[:0], x[i:min(i+chunk, len(x))])
		}
		ns = min(ns, float64(time.Since(t0).Nanoseconds())/float64(len(x)))
	}
	return
}

// speed times each engine on the same speech-like input in 160-sample
// chunks. Engines are timed in interleaved rounds, so that load from other
// processes hits them alike, and the fastest round counts.
func speed(fs []factory, c conv, seconds float64, rounds int) []float64 {
	x := speechish(int(seconds*float64(c.in)), c.in)
	ns := make([]float64, len(fs))
	for i := range ns {
		ns[i] = math.Inf(1)
	}
	for range rounds {
		for i, f := range fs {
			e, err := f.new(c.in, c.out)
			if err != nil {
				continue
			}
			e.run(x[:min(len(x), 4*chunk)], chunk) // warm up
			t0 := time.Now()
			e.run(x, chunk)
			d := time.Since(t0)
			e.close()
			ns[i] = min(ns[i], float64(d.Nanoseconds())/float64(len(x)))
		}
	}
	return ns
}
