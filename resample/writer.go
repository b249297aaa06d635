package resample

import "errors"

// SampleWriter consumes int16 samples. It is the shape of
// detect.Session.Write, so a Writer can feed detection directly, and
// Writers can be chained.
type SampleWriter interface {
	Write(samples []int16) error
}

// SampleWriterFunc adapts a function to SampleWriter.
type SampleWriterFunc func(samples []int16) error

// Write calls f(samples).
func (f SampleWriterFunc) Write(samples []int16) error { return f(samples) }

// ErrClosed is returned by Writer.Write after Close.
var ErrClosed = errors.New("resample: writer closed")

// Writer resamples everything written to it and writes the result to
// another SampleWriter, one call per Write (calls with no output are
// skipped). The slice passed downstream is reused by the next Write; the
// downstream writer must copy what it keeps. A Writer is not safe for
// concurrent use.
type Writer struct {
	r    *Resampler
	dst  SampleWriter
	buf  []int16
	done bool
}

// NewWriter returns a Writer converting from inRate to outRate into dst.
func NewWriter(dst SampleWriter, inRate, outRate int, opts ...Option) (*Writer, error) {
	r, err := New(inRate, outRate, opts...)
	if err != nil {
		return nil, err
	}
	return &Writer{r: r, dst: dst}, nil
}

// Resampler returns the underlying Resampler (for Delay, rates, quality).
func (w *Writer) Resampler() *Resampler { return w.r }

// Write resamples samples and forwards the output. An error from the
// downstream writer is returned as is; the samples were still consumed.
func (w *Writer) Write(samples []int16) error {
	if w.done {
		return ErrClosed
	}
	w.buf = w.r.Process(w.buf[:0], samples)
	if len(w.buf) == 0 {
		return nil
	}
	return w.dst.Write(w.buf)
}

// Close flushes the tail of the stream downstream (so the total is exactly
// round(in*OutRate/InRate) samples) and makes further writes fail. It does
// not close the downstream writer. Close is idempotent.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.buf = w.r.Flush(w.buf[:0])
	if len(w.buf) == 0 {
		return nil
	}
	return w.dst.Write(w.buf)
}
