package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Options configure New.
type Options struct {
	// Format is auto, json or text. Auto picks text when W is a terminal.
	Format string
	// Level is debug, info, warn or error; empty is info.
	Level string
	// Secrets are values that must never appear in a log line; each is
	// replaced by "[redacted]" wherever it occurs.
	Secrets []string
}

// New returns a logger writing to w.
func New(w io.Writer, opts Options) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(opts.Level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	}
	secrets := make([]string, 0, len(opts.Secrets))
	for _, s := range opts.Secrets {
		if len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	ho := &slog.HandlerOptions{Level: lvl}
	if len(secrets) > 0 {
		ho.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			return scrubAttr(a, secrets)
		}
	}
	format := opts.Format
	if format == "" || format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}

func scrubAttr(a slog.Attr, secrets []string) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); containsAny(s, secrets) {
			a.Value = slog.StringValue(Scrub(s, secrets))
		}
	case slog.KindAny:
		v := a.Value.Any()
		var s string
		switch x := v.(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprint(x)
		}
		if containsAny(s, secrets) {
			a.Value = slog.StringValue(Scrub(s, secrets))
		}
	}
	return a
}

func containsAny(s string, secrets []string) bool {
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// Scrub replaces every occurrence of each secret in s with "[redacted]".
func Scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type ctxKey struct{}

// WithLogger returns ctx carrying l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the logger carried by ctx, or fallback.
func FromContext(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}

// Discard is a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
