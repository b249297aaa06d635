package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by a Store wrap one of these when the
// condition applies; test with errors.Is.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means the write contradicts stored state (a duplicate
	// key, an active detection already running, an invalid state move).
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid means an argument was rejected before reaching the database.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrMigrationsPending means the database schema is behind the
	// migrations embedded in this binary.
	ErrMigrationsPending = errors.New("store: migrations pending")
)

// ConflictError reports a write rejected because of existing state. It
// wraps ErrConflict.
type ConflictError struct {
	What     string // e.g. "detection"
	Existing string // ID of the row in the way, when known
	Reason   string
}

// Error describes the conflict.
func (e *ConflictError) Error() string {
	s := "store: conflict: " + e.What
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Existing != "" {
		s += " (existing " + e.Existing + ")"
	}
	return s
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// TransitionError reports a detection status move that is not allowed,
// such as stopping a session that is already stopped. It wraps ErrConflict.
type TransitionError struct {
	ID       string
	From, To DetectionStatus
}

// Error names the detection and the refused move.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("store: detection %s: cannot move from %s to %s", e.ID, e.From, e.To)
}

// Unwrap returns ErrConflict.
func (e *TransitionError) Unwrap() error { return ErrConflict }

// InvalidError reports a rejected argument. It wraps ErrInvalid.
type InvalidError struct {
	Field  string
	Reason string
}

// Error names the field and why it was rejected.
func (e *InvalidError) Error() string { return "store: invalid " + e.Field + ": " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &InvalidError{Field: field, Reason: reason} }
