// Package auth authenticates the detection API's bearer tokens. Tokens are
// known only by their SHA-256 hashes: static tokens from the configuration
// are hashed at start-up and compared in constant time; tokens created with
// the "token" subcommand are looked up in the store by hash.
package auth
