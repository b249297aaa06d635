package twiml

import (
	"log/slog"
	"net/http"
	"net/url"
)

// parseWebhook reads the parameters of a Twilio webhook (query string and
// form body, for GET and POST alike) and maps them with parse. It answers
// the request itself — 405 for other methods, 400 for a form that does
// not parse or parameters parse rejects — and then reports false.
func parseWebhook[T any](w http.ResponseWriter, r *http.Request, logger *slog.Logger, what string, parse func(url.Values) (T, error)) (T, bool) {
	var zero T
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return zero, false
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad "+what+" form", http.StatusBadRequest)
		return zero, false
	}
	v, err := parse(r.Form)
	if err != nil {
		logger.Warn("bad "+what, "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return zero, false
	}
	return v, true
}

// loggerOr returns l, or slog.Default() when l is nil.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
