// Package logging builds the server's log/slog logger: JSON, or text when
// stderr is a terminal, with every configured secret scrubbed from every
// message and attribute before it is written.
package logging
