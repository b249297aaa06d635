package notify

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
)

// sseMessage is what a spec-following EventSource dispatches, or a
// comment line (Comment set) which the spec ignores but tests use to
// synchronise.
type sseMessage struct {
	ID, Event, Data string // Event is "message" when the stream named none
	Comment         string
	IsComment       bool
	Retry           int
}

// sseReader parses text/event-stream as the HTML specification's
// "Interpreting an event stream" section describes.
type sseReader struct {
	r           *bufio.Reader
	lastEventID string
	retry       int
	bomChecked  bool
}

func newSSEReader(r io.Reader) *sseReader { return &sseReader{r: bufio.NewReader(r)} }

// line reads one line ended by CRLF, LF or CR.
func (p *sseReader) line() (string, error) {
	var sb strings.Builder
	for {
		b, err := p.r.ReadByte()
		if err != nil {
			if err == io.EOF && sb.Len() > 0 {
				// An incomplete final line is discarded by the spec.
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch b {
		case '\n':
			return sb.String(), nil
		case '\r':
			if nb, err := p.r.Peek(1); err == nil && nb[0] == '\n' {
				p.r.ReadByte()
			}
			return sb.String(), nil
		}
		sb.WriteByte(b)
	}
}

// next returns the next dispatched event or comment.
func (p *sseReader) next() (sseMessage, error) {
	var data strings.Builder
	var hasData bool
	eventType := ""
	for {
		l, err := p.line()
		if err != nil {
			return sseMessage{}, err
		}
		if !p.bomChecked {
			p.bomChecked = true
			l = strings.TrimPrefix(l, "\ufeff")
		}
		if l == "" {
			if !hasData {
				eventType = ""
				continue
			}
			d := strings.TrimSuffix(data.String(), "\n")
			if eventType == "" {
				eventType = "message"
			}
			return sseMessage{ID: p.lastEventID, Event: eventType, Data: d, Retry: p.retry}, nil
		}
		if strings.HasPrefix(l, ":") {
			if hasData || eventType != "" {
				continue // inside an event: ignored, as the spec says
			}
			return sseMessage{IsComment: true, Comment: strings.TrimPrefix(l[1:], " ")}, nil
		}
		field, value, ok := strings.Cut(l, ":")
		if ok {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			eventType = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				p.lastEventID = value
			}
		case "retry":
			if n, err := strconv.Atoi(value); err == nil && n >= 0 {
				p.retry = n
			}
		}
	}
}

// event skips comments and returns the next event.
func (p *sseReader) event() (sseMessage, error) {
	for {
		m, err := p.next()
		if err != nil {
			return m, err
		}
		if !m.IsComment {
			return m, nil
		}
	}
}

var errNoOK = errors.New("stream did not open with :ok")

// opened consumes the ":ok" comment a Hub sends once subscribed.
func (p *sseReader) opened() error {
	m, err := p.next()
	if err != nil {
		return err
	}
	if !m.IsComment || m.Comment != "ok" {
		return errNoOK
	}
	return nil
}
