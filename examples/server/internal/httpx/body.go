package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DecodeJSON reads r's body into v strictly: the content type must be
// application/json, the body at most limit bytes, one JSON value, no unknown
// fields. It returns a *Problem describing what was wrong.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *Problem {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return NewProblem(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			fmt.Sprintf("Content-Type must be application/json, got %q", ct))
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return NewProblem(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
				fmt.Sprintf("body exceeds %d bytes", limit))
		}
		return NewProblem(http.StatusBadRequest, CodeBadRequest, "reading body: "+err.Error())
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "trailing data after the JSON value")
	}
	return nil
}

func jsonProblem(err error) *Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("syntax error at byte %d: %v", se.Offset, se))
	case errors.As(err, &te):
		p := NewProblem(http.StatusBadRequest, CodeInvalidField, fmt.Sprintf("field %q must be %v", te.Field, te.Type))
		p.Field = te.Field
		return p
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, CodeInvalidJSON, "truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p := NewProblem(http.StatusBadRequest, CodeInvalidField, fmt.Sprintf("unknown field %q", f))
		p.Field = f
		return p
	}
	return NewProblem(http.StatusBadRequest, CodeInvalidJSON, err.Error())
}

// InvalidField returns a 422 problem naming field.
func InvalidField(field, detail string) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, CodeInvalidField, detail)
	p.Field = field
	return p
}
