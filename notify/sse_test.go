package notify

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSSEFraming checks that appendSSE frames any data so that a
// spec-following parser gets back exactly the id, type and data (line
// breaks normalised to LF, as the spec does).
func FuzzSSEFraming(f *testing.F) {
	f.Add("1", "verdict", []byte(`{"a":1}`))
	f.Add("", "gap", []byte("a\nb\r\nc\rd\n"))
	f.Add("42", "x", []byte(""))
	f.Add("7", "y", []byte("\n\n: not a comment\ndata: nested"))
	f.Fuzz(func(t *testing.T, id, typ string, data []byte) {
		if strings.ContainsAny(id+typ, "\r\n\x00") || typ == "" || strings.HasPrefix(typ, " ") ||
			strings.HasPrefix(id, " ") || !utf8Valid(data) {
			t.Skip()
		}
		frame := appendSSE(nil, id, typ, data)
		r := newSSEReader(bytes.NewReader(frame))
		m, err := r.event()
		if err != nil {
			t.Fatalf("frame %q: %v", frame, err)
		}
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(data))
		if m.ID != id || m.Event != typ || m.Data != want {
			t.Fatalf("frame %q parsed as id=%q event=%q data=%q", frame, m.ID, m.Event, m.Data)
		}
	})
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }
