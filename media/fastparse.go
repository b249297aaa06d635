package media

import "encoding/binary"

// This file holds the hot-path parser for inbound "media" frames. It accepts a
// strict subset of the wire format (an object whose keys are event,
// sequenceNumber, streamSid and media, the media object holding track, chunk,
// timestamp and payload, every value a plain ASCII string without escapes)
// and reports ok=false for anything else, which then goes through
// Message.UnmarshalJSON. Whatever it accepts, UnmarshalJSON decodes to the same
// values (the fuzz test checks this). It does not allocate.

// mediaView points into the frame being parsed.
type mediaView struct {
	seq       int64
	streamSid []byte
	track     []byte
	chunk     int64
	ts        int64  // milliseconds
	payload   []byte // base64 text
}

const (
	seenEvent = 1 << iota
	seenSeq
	seenSid
	seenMedia
	seenTrack
	seenChunk
	seenTS
	seenPayload
)

// parseMediaFast parses data as an inbound media frame.
func parseMediaFast(data []byte) (v mediaView, ok bool) {
	p := fastParser{b: data}
	var seen uint
	if !p.consume('{') {
		return v, false
	}
	for first := true; ; first = false {
		p.ws()
		if p.peek() == '}' && first {
			return v, false // empty object: no event
		}
		key, ok := p.str()
		if !ok || !p.consume(':') {
			return v, false
		}
		switch string(key) {
		case "event":
			ev, ok := p.str()
			if !ok || seen&seenEvent != 0 || string(ev) != EventMedia {
				return v, false
			}
			seen |= seenEvent
		case "sequenceNumber":
			n, ok := p.num()
			if !ok || seen&seenSeq != 0 {
				return v, false
			}
			v.seq, seen = n, seen|seenSeq
		case "streamSid":
			s, ok := p.str()
			if !ok || seen&seenSid != 0 {
				return v, false
			}
			v.streamSid, seen = s, seen|seenSid
		case "media":
			if seen&seenMedia != 0 || !p.mediaObject(&v, &seen) {
				return v, false
			}
			seen |= seenMedia
		default:
			return v, false
		}
		p.ws()
		switch p.next() {
		case ',':
			continue
		case '}':
			p.ws()
			ok := p.i == len(p.b) && seen&seenEvent != 0 && seen&seenMedia != 0 &&
				v.ts <= maxTimestampMillis
			return v, ok
		default:
			return v, false
		}
	}
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) next() byte {
	if p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		return c
	}
	return 0
}

// consume skips whitespace and then the byte c.
func (p *fastParser) consume(c byte) bool {
	p.ws()
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// str reads a string of printable ASCII without escapes and returns its body.
func (p *fastParser) str() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	// Skip eight plain bytes at a time: none is a quote, a backslash, a
	// control character or non-ASCII.
	for p.i+8 <= len(p.b) {
		x := binary.LittleEndian.Uint64(p.b[p.i:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		q := x ^ '"'*ones
		bs := x ^ '\\'*ones
		found := x&highs | // non-ASCII
			(x-0x20*ones)&^x&highs | // a byte below 0x20
			(q-ones)&^q&highs | // a quote
			(bs-ones)&^bs&highs // a backslash
		if found != 0 {
			break
		}
		p.i += 8
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// num reads a decimal integer sent as a string, at most 18 digits.
func (p *fastParser) num() (int64, bool) {
	s, ok := p.str()
	if !ok || len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func (p *fastParser) mediaObject(v *mediaView, seen *uint) bool {
	if !p.consume('{') {
		return false
	}
	p.ws()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') {
			return false
		}
		switch string(key) {
		case "track":
			s, ok := p.str()
			if !ok || *seen&seenTrack != 0 {
				return false
			}
			v.track, *seen = s, *seen|seenTrack
		case "chunk":
			n, ok := p.num()
			if !ok || *seen&seenChunk != 0 {
				return false
			}
			v.chunk, *seen = n, *seen|seenChunk
		case "timestamp":
			n, ok := p.num()
			if !ok || *seen&seenTS != 0 {
				return false
			}
			v.ts, *seen = n, *seen|seenTS
		case "payload":
			s, ok := p.str()
			if !ok || *seen&seenPayload != 0 {
				return false
			}
			v.payload, *seen = s, *seen|seenPayload
		default:
			return false
		}
		p.ws()
		switch p.next() {
		case ',':
			p.ws()
		case '}':
			return true
		default:
			return false
		}
	}
}
