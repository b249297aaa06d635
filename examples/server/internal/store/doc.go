// Package store persists what the callguard server sees: calls, media
// streams, detection sessions, one verdict per analysed window, per-number
// settings, API tokens (hashed), actions taken on alerts and an event
// history for replay.
//
// One Store interface has two backends over one schema. Open picks the
// backend from the DSN:
//
//	st, err := store.Open(ctx, "callguard.db", nil)                   // SQLite (default, WAL)
//	st, err := store.Open(ctx, "postgres://app@db:5432/cg", nil)      // PostgreSQL via pgx
//	st, err := store.Open(ctx, ":memory:", &store.Options{Logger: l}) // tests
//
// SQLite uses modernc.org/sqlite (pure Go) in WAL mode: readers have their
// own connections, and every write goes through a single connection, so
// concurrent writers in one process queue up instead of failing with
// SQLITE_BUSY; busy_timeout covers other processes. PostgreSQL uses
// database/sql with the jackc/pgx/v5 stdlib driver, so both backends share
// one implementation; the SQL differs only in placeholders, and times are
// TIMESTAMPTZ there and fixed-width UTC text in SQLite. Both store times at
// microsecond precision in UTC and durations as milliseconds.
//
// Migrations are embedded (one goose SQL file set per dialect) and run on
// Open unless Options.SkipMigrations is set; Migrate runs "up", "down" or
// "status" for a migrate subcommand, and Store.CheckMigrations tells a
// readiness probe whether the schema is current. On PostgreSQL an advisory
// lock serializes replicas migrating at once.
//
// The hot writes, InsertVerdict and AppendEvent (one of each per window
// per call), are group-committed: a write that finds the store idle runs at
// once; writes arriving meanwhile share the next transaction (one batch at
// a time on SQLite, four on PostgreSQL). SQLite's write statements are
// prepared once. See batch.go and stmtcache.go.
//
// Writes are safe to repeat (see IsTransient for the two exceptions).
// InsertVerdict is unique per detection and
// window start and reports whether the row is new; AppendEvent and
// RecordAction are unique per ID; CreateDetection refuses a second live
// (starting or active) detection for the same call and track with
// ErrConflict. The store retries by itself statements that failed on a
// dropped connection (for example after a PostgreSQL restart or
// pg_terminate_backend), and IsTransient and Retry let a caller do the same.
//
// Errors wrap ErrNotFound, ErrConflict (as *ConflictError or
// *TransitionError), ErrInvalid (as *InvalidError) or
// ErrMigrationsPending; test them with errors.Is and errors.As.
//
// Listings page with opaque keyset cursors: pass Page.NextCursor back as
// PageRequest.Cursor until it is empty.
package store
