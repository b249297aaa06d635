package main

/*
#cgo LDFLAGS: -lsoxr -lspeexdsp
#include <stdlib.h>
#include <stdint.h>
#include <soxr.h>
#include <speex/speex_resampler.h>

static soxr_t cg_soxr_new(double in, double out, unsigned long recipe, const char **err) {
	soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
	io.flags |= SOXR_NO_DITHER;
	soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
	soxr_error_t e = NULL;
	soxr_t s = soxr_create(in, out, 1, &e, &io, &q, NULL);
	*err = e;
	return s;
}

// cg_soxr_process feeds n samples (in may be NULL to flush) and returns the
// number of output samples written to out (at most cap).
static size_t cg_soxr_process(soxr_t s, const int16_t *in, size_t n, int16_t *out, size_t cap) {
	size_t total = 0;
	for (;;) {
		size_t idone = 0, odone = 0;
		soxr_process(s, in, n, &idone, out + total, cap - total, &odone);
		total += odone;
		if (in) { in += idone; n -= idone; }
		if ((in && n == 0 && odone == 0) || (!in && odone == 0) || total == cap) break;
	}
	return total;
}

// cg_soxr_run processes n samples in chunks, as a caller would, in C.
static size_t cg_soxr_run(soxr_t s, const int16_t *in, size_t n, size_t chunk, int16_t *out, size_t cap) {
	size_t total = 0;
	for (size_t i = 0; i < n; i += chunk) {
		size_t c = n - i < chunk ? n - i : chunk;
		total += cg_soxr_process(s, in + i, c, out, cap);
	}
	return total;
}

static soxr_t cg_soxr_new_f(double in, double out, unsigned long recipe, const char **err) {
	soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
	soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
	soxr_error_t e = NULL;
	soxr_t s = soxr_create(in, out, 1, &e, &io, &q, NULL);
	*err = e;
	return s;
}

static size_t cg_soxr_process_f(soxr_t s, const float *in, size_t n, float *out, size_t cap) {
	size_t total = 0;
	for (;;) {
		size_t idone = 0, odone = 0;
		soxr_process(s, in, n, &idone, out + total, cap - total, &odone);
		total += odone;
		if (in) { in += idone; n -= idone; }
		if ((in && n == 0 && odone == 0) || (!in && odone == 0) || total == cap) break;
	}
	return total;
}

static SpeexResamplerState *cg_spx_new(int in, int out, int q, int *err) {
	SpeexResamplerState *st = speex_resampler_init(1, in, out, q, err);
	if (st) speex_resampler_skip_zeros(st);
	return st;
}

static size_t cg_spx_process(SpeexResamplerState *st, const int16_t *in, size_t n, int16_t *out, size_t cap) {
	size_t total = 0;
	while (n > 0 && total < cap) {
		spx_uint32_t il = n, ol = cap - total;
		speex_resampler_process_int(st, 0, in, &il, out + total, &ol);
		in += il; n -= il; total += ol;
		if (il == 0 && ol == 0) break;
	}
	return total;
}

static size_t cg_spx_run(SpeexResamplerState *st, const int16_t *in, size_t n, size_t chunk, int16_t *out, size_t cap) {
	size_t total = 0;
	for (size_t i = 0; i < n; i += chunk) {
		size_t c = n - i < chunk ? n - i : chunk;
		total += cg_spx_process(st, in + i, c, out, cap);
	}
	return total;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/callguard/callguard/resample"
)

// engine is one resampler instance under test, fed int16 chunks.
type engine interface {
	process(dst, src []int16) []int16
	flush(dst []int16) []int16
	delay() float64 // the library's own delay figure, output samples
	run(x []int16, chunk int) int
	close()
}

type factory struct {
	name string
	new  func(in, out int) (engine, error)
}

var factories = []factory{
	{"callguard High", cgNew(resample.High)},
	{"callguard VeryHigh", cgNew(resample.VeryHigh)},
	{"soxr HQ", soxrNew(C.SOXR_HQ)},
	{"soxr VHQ", soxrNew(C.SOXR_VHQ)},
	{"speexdsp q4", spxNew(4)},
	{"speexdsp q10", spxNew(10)},
}

type cgEngine struct {
	r   *resample.Resampler
	buf []int16
}

func cgNew(q resample.Quality) func(in, out int) (engine, error) {
	return func(in, out int) (engine, error) {
		r, err := resample.New(in, out, resample.WithQuality(q))
		if err != nil {
			return nil, err
		}
		return &cgEngine{r: r}, nil
	}
}

func (e *cgEngine) process(dst, src []int16) []int16 { return e.r.Process(dst, src) }
func (e *cgEngine) flush(dst []int16) []int16        { return e.r.Flush(dst) }
func (e *cgEngine) delay() float64                   { return float64(e.r.Delay()) }
func (e *cgEngine) close()                           {}
func (e *cgEngine) run(x []int16, chunk int) int {
	n := 0
	for i := 0; i < len(x); i += chunk {
		e.buf = e.r.Process(e.buf[:0], x[i:min(i+chunk, len(x))])
		n += len(e.buf)
	}
	return n
}

type soxrEngine struct {
	s   C.soxr_t
	out []int16
}

func soxrNew(recipe C.ulong) func(in, out int) (engine, error) {
	return func(in, out int) (engine, error) {
		var cerr *C.char
		s := C.cg_soxr_new(C.double(in), C.double(out), recipe, &cerr)
		if cerr != nil {
			return nil, fmt.Errorf("soxr: %s", C.GoString(cerr))
		}
		return &soxrEngine{s: s, out: make([]int16, 1<<20)}, nil
	}
}

func ptr(s []int16) *C.int16_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int16_t)(unsafe.Pointer(&s[0]))
}

func (e *soxrEngine) process(dst, src []int16) []int16 {
	if len(src) == 0 {
		return dst
	}
	n := C.cg_soxr_process(e.s, ptr(src), C.size_t(len(src)), ptr(e.out), C.size_t(len(e.out)))
	return append(dst, e.out[:n]...)
}

func (e *soxrEngine) flush(dst []int16) []int16 {
	n := C.cg_soxr_process(e.s, nil, 0, ptr(e.out), C.size_t(len(e.out)))
	return append(dst, e.out[:n]...)
}

func (e *soxrEngine) delay() float64 { return float64(C.soxr_delay(e.s)) }
func (e *soxrEngine) close()         { C.soxr_delete(e.s) }
func (e *soxrEngine) run(x []int16, chunk int) int {
	return int(C.cg_soxr_run(e.s, ptr(x), C.size_t(len(x)), C.size_t(chunk), ptr(e.out), C.size_t(len(e.out))))
}

type spxEngine struct {
	st      *C.SpeexResamplerState
	in, out int
	buf     []int16
}

func spxNew(q int) func(in, out int) (engine, error) {
	return func(in, out int) (engine, error) {
		var cerr C.int
		st := C.cg_spx_new(C.int(in), C.int(out), C.int(q), &cerr)
		if st == nil {
			return nil, fmt.Errorf("speexdsp: error %d", int(cerr))
		}
		return &spxEngine{st: st, in: in, out: out, buf: make([]int16, 1<<20)}, nil
	}
}

func (e *spxEngine) process(dst, src []int16) []int16 {
	if len(src) == 0 {
		return dst
	}
	n := C.cg_spx_process(e.st, ptr(src), C.size_t(len(src)), ptr(e.buf), C.size_t(len(e.buf)))
	return append(dst, e.buf[:n]...)
}

// flush feeds silence for the filter's input latency: speexdsp has no
// flush call.
func (e *spxEngine) flush(dst []int16) []int16 {
	z := make([]int16, 2*int(C.speex_resampler_get_input_latency(e.st))+1)
	return e.process(dst, z)
}

func (e *spxEngine) delay() float64 { return float64(C.speex_resampler_get_output_latency(e.st)) }
func (e *spxEngine) close()         { C.speex_resampler_destroy(e.st) }
func (e *spxEngine) run(x []int16, chunk int) int {
	return int(C.cg_spx_run(e.st, ptr(x), C.size_t(len(x)), C.size_t(chunk), ptr(e.buf), C.size_t(len(e.buf))))
}

// floatEngine is a resampler fed float32 chunks (full scale 1.0), to see a
// filter's stopband without 16-bit rounding.
type floatEngine interface {
	processF(dst, src []float32) []float32
	flushF(dst []float32) []float32
	close()
}

type floatFactory struct {
	name string
	pass float64 // measured passband edge, fraction of the lower Nyquist
	new  func(in, out int) (floatEngine, error)
}

var floatFactories = []floatFactory{
	{"callguard High", top, cgNewF(resample.High)},
	{"callguard VeryHigh", top, cgNewF(resample.VeryHigh)},
	{"soxr HQ", top, soxrNewF(C.SOXR_HQ)},
	{"soxr VHQ", top, soxrNewF(C.SOXR_VHQ)},
}

func cgNewF(q resample.Quality) func(in, out int) (floatEngine, error) {
	return func(in, out int) (floatEngine, error) {
		r, err := resample.New(in, out, resample.WithQuality(q))
		if err != nil {
			return nil, err
		}
		return &cgEngine{r: r}, nil
	}
}

func (e *cgEngine) processF(dst, src []float32) []float32 { return e.r.ProcessFloat32(dst, src) }
func (e *cgEngine) flushF(dst []float32) []float32        { return e.r.FlushFloat32(dst) }

type soxrFloat struct {
	s   C.soxr_t
	out []float32
}

func soxrNewF(recipe C.ulong) func(in, out int) (floatEngine, error) {
	return func(in, out int) (floatEngine, error) {
		var cerr *C.char
		s := C.cg_soxr_new_f(C.double(in), C.double(out), recipe, &cerr)
		if cerr != nil {
			return nil, fmt.Errorf("soxr: %s", C.GoString(cerr))
		}
		return &soxrFloat{s: s, out: make([]float32, 1<<20)}, nil
	}
}

func fptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func (e *soxrFloat) processF(dst, src []float32) []float32 {
	if len(src) == 0 {
		return dst
	}
	n := C.cg_soxr_process_f(e.s, fptr(src), C.size_t(len(src)), fptr(e.out), C.size_t(len(e.out)))
	return append(dst, e.out[:n]...)
}

func (e *soxrFloat) flushF(dst []float32) []float32 {
	n := C.cg_soxr_process_f(e.s, nil, 0, fptr(e.out), C.size_t(len(e.out)))
	return append(dst, e.out[:n]...)
}

func (e *soxrFloat) close() { C.soxr_delete(e.s) }
