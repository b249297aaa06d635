package notify

import "sort"

// history is a ring of the most recent entries, oldest first.
type history struct {
	buf   []*entry
	start int // index of the oldest entry
	n     int
}

// push appends e and returns the entry it displaced, if any.
func (h *history) push(e *entry) (dropped *entry) {
	if len(h.buf) == 0 {
		return e
	}
	if h.n < len(h.buf) {
		h.buf[(h.start+h.n)%len(h.buf)] = e
		h.n++
		return nil
	}
	dropped = h.buf[h.start]
	h.buf[h.start] = e
	h.start = (h.start + 1) % len(h.buf)
	return dropped
}

func (h *history) at(i int) *entry { return h.buf[(h.start+i)%len(h.buf)] }

func (h *history) oldest() *entry {
	if h.n == 0 {
		return nil
	}
	return h.at(0)
}

// after returns the entries with IDs greater than id, oldest first.
func (h *history) after(id uint64) []*entry {
	i := sort.Search(h.n, func(i int) bool { return h.at(i).id > id })
	out := make([]*entry, 0, h.n-i)
	for ; i < h.n; i++ {
		out = append(out, h.at(i))
	}
	return out
}
