package dashboard

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed static/index.html
var indexHTML string

var page = template.Must(template.New("index").Parse(indexHTML))

// Options configure the page.
type Options struct {
	// Simulated shows the "simulated detector" banner.
	Simulated bool
	// MinScore draws the alert threshold line on the charts.
	MinScore float64
	// Title is the page title; empty is "callguard".
	Title string
}

// Handler returns the handler for "/" (exactly; other paths answer 404).
func Handler(opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "callguard"
	}
	var buf bytes.Buffer
	err := page.Execute(&buf, map[string]any{
		"Simulated": opts.Simulated,
		"MinScore":  strconv.FormatFloat(opts.MinScore, 'f', -1, 64),
		"Title":     opts.Title,
	})
	if err != nil {
		panic("dashboard: template: " + err.Error()) // the template is embedded; tests cover it
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
		_, _ = w.Write(body)
	})
}
