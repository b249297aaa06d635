// Package httpx holds the server's HTTP plumbing: RFC 9457 problem+json
// errors with stable codes, strict JSON bodies, request IDs, access logs
// and bearer-token authentication.
package httpx
