package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SSEEvent is one event of a text/event-stream (Server-Sent Events).
type SSEEvent struct {
	// ID is the last "id:" field seen (it persists across events, as the
	// EventSource specification says).
	ID string
	// Type is the "event:" field; empty means the default type "message".
	Type string
	// Data is the "data:" fields joined with "\n".
	Data []byte
}

// ErrSSELineTooLong is returned by SSEReader.Next for a line longer than
// MaxSSELine bytes.
var ErrSSELineTooLong = errors.New("sim: server-sent event line too long")

// MaxSSELine bounds one line of an event stream.
const MaxSSELine = 1 << 20

// SSEReader parses a text/event-stream.
type SSEReader struct {
	sc     *bufio.Scanner
	lastID string
}

// NewSSEReader returns a reader of the event stream r.
func NewSSEReader(r io.Reader) *SSEReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxSSELine)
	sc.Split(scanSSELines)
	return &SSEReader{sc: sc}
}

// Next returns the next event. Comment lines (": keep-alive") are skipped.
// It returns io.EOF when the stream ends; an event not terminated by a
// blank line before the end is discarded, as the specification says.
func (r *SSEReader) Next() (SSEEvent, error) {
	var (
		ev      SSEEvent
		data    bytes.Buffer
		hasData bool
	)
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if !hasData {
				ev = SSEEvent{}
				continue
			}
			ev.ID = r.lastID
			ev.Data = bytes.Clone(data.Bytes())
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Type = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "id":
			if !bytes.Contains(value, []byte{0}) {
				r.lastID = string(value)
			}
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return SSEEvent{}, ErrSSELineTooLong
		}
		return SSEEvent{}, fmt.Errorf("sim: reading event stream: %w", err)
	}
	return SSEEvent{}, io.EOF
}

// scanSSELines splits on "\r\n", "\n" or "\r".
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\r' {
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if !atEOF {
				return 0, nil, nil // need one more byte to know about "\n"
			}
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// String is a one-line form for logs.
func (e SSEEvent) String() string {
	return fmt.Sprintf("id=%s event=%s data=%s", e.ID, e.Type, strings.ReplaceAll(string(e.Data), "\n", `\n`))
}
