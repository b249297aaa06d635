// Package metrics holds the server's Prometheus metrics on a Registry of
// its own (nothing is registered globally, so tests can build many servers).
package metrics
