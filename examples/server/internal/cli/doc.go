// Package cli is the server's command line: configuration, the serve
// command with graceful shutdown (and, with CALLGUARD_PPROF_ADDR, a
// loopback-only net/http/pprof listener), and the migrate and token
// subcommands.
package cli
