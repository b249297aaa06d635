// Package cli is the server's command line: configuration, the serve
// command with graceful shutdown, and the migrate and token subcommands.
package cli
