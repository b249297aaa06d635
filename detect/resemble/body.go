package resemble

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"sync"
	"sync/atomic"

	"github.com/callguard/callguard/detect"
)

// multipartOverhead is room for the multipart framing and option fields.
const multipartOverhead = 1024

// body is an encoded request body, reusable across retries. A pooled body's
// buffer returns to the client's pool once its owner has released it and
// the transport has closed every reader opened on it.
type body struct {
	data        []byte
	contentType string
	pooled      *pooled
}

type pooled struct {
	refs atomic.Int32
	put  func()
}

func (p *pooled) unref() {
	if p.refs.Add(-1) == 0 {
		p.put()
	}
}

// open returns a reader over the body; the transport closes it.
func (b body) open() io.ReadCloser {
	if b.pooled == nil {
		return io.NopCloser(bytes.NewReader(b.data))
	}
	b.pooled.refs.Add(1)
	return &pooledReader{Reader: bytes.NewReader(b.data), p: b.pooled}
}

// release drops the owner's reference.
func (b body) release() {
	if b.pooled != nil {
		b.pooled.unref()
	}
}

type pooledReader struct {
	*bytes.Reader
	p    *pooled
	once sync.Once
}

func (r *pooledReader) Close() error {
	r.once.Do(r.p.unref)
	return nil
}

// FileName returns the multipart file name the client uses for a clip:
// "<CallSid>-<Track>-<start ms>.wav" (parts left out when empty).
func FileName(c detect.Clip) string {
	name := "clip"
	if c.CallSid != "" {
		name = c.CallSid
	}
	if c.Track != "" {
		name += "-" + c.Track
	}
	return fmt.Sprintf("%s-%d.wav", name, c.Start.Milliseconds())
}

// multipartBody encodes clip as a WAV in the multipart field "file", after
// the option fields. The body is built in one buffer sized up front, taken
// from the client's pool when one is free: at most one window-sized
// allocation, none in steady state.
func (c *Client) multipartBody(clip detect.Clip, opts Options) (body, error) {
	hdr, err := c.header(clip.SampleRate, len(clip.Samples))
	if err != nil {
		return body{}, err
	}
	need := wavHeaderLen + 2*len(clip.Samples) + multipartOverhead
	w := &sliceWriter{}
	if p, _ := c.bufs.Get().(*[]byte); p != nil && cap(*p) >= need {
		w.b = (*p)[:0]
	} else {
		w.b = make([]byte, 0, need)
	}
	mw := multipart.NewWriter(w)
	if err := opts.writeFields(mw); err != nil {
		return body{}, err
	}
	ph := make(textproto.MIMEHeader, 2)
	ph.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, FileName(clip)))
	ph.Set("Content-Type", "audio/wav")
	if _, err := mw.CreatePart(ph); err != nil {
		return body{}, err
	}
	// multipart.Writer writes straight through to w, so the part's content
	// can be appended to w's slice directly, without an extra copy.
	w.b = append(w.b, hdr[:]...)
	w.b = appendPCM(w.b, clip.Samples)
	if err := mw.Close(); err != nil {
		return body{}, err
	}
	buf := w.b
	p := &pooled{put: func() { c.bufs.Put(&buf) }}
	p.refs.Store(1)
	return body{data: w.b, contentType: mw.FormDataContentType(), pooled: p}, nil
}

// sliceWriter appends writes to a byte slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// header returns the WAV header for n samples at rate, from a per-client
// template cache (the template comes from go-audio/wav once per rate).
func (c *Client) header(rate, n int) ([wavHeaderLen]byte, error) {
	var h [wavHeaderLen]byte
	c.hmu.Lock()
	t, ok := c.headers[rate]
	c.hmu.Unlock()
	if !ok {
		tmpl, err := headerTemplate(rate)
		if err != nil {
			return h, err
		}
		c.hmu.Lock()
		if c.headers == nil {
			c.headers = make(map[int][]byte)
		}
		c.headers[rate] = tmpl
		t = tmpl
		c.hmu.Unlock()
	}
	copy(h[:], t)
	patchHeader(h[:], n)
	return h, nil
}
