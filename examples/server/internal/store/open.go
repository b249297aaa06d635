package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultSQLitePath is the database file used when Open is given an empty DSN.
const DefaultSQLitePath = "callguard.db"

// Options configures Open. The zero value (or a nil *Options) is ready to
// use: migrations run on open, SQLite waits up to 5 s for a lock held by
// another process, PostgreSQL keeps up to 10 connections.
type Options struct {
	// SkipMigrations leaves the schema as it is on Open. Use Migrate or the
	// server's migrate subcommand to change it, and CheckMigrations to see
	// whether it is current.
	SkipMigrations bool
	// Logger receives migration progress and retried errors. Nil discards.
	Logger *slog.Logger
	// MaxConns caps the PostgreSQL pool (default 10) and the SQLite reader
	// pool (default 4). SQLite always writes through one connection.
	MaxConns int
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process before failing (default 5 s).
	BusyTimeout time.Duration
	// Retries is how many times a statement that failed with a transient
	// connection error (see IsTransient) is tried again, for statements the
	// store knows are safe to repeat. Zero means 2; negative disables.
	Retries int
	// Now is the clock used for the times the store fills in. Nil means
	// time.Now.
	Now func() time.Time
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 2
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// BackendOf reports which backend Open would choose for dsn:
// "postgres://" and "postgresql://" URLs select PostgreSQL, anything else
// is a SQLite file path or "file:" URI.
func BackendOf(dsn string) Backend {
	l := strings.ToLower(dsn)
	if strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// Open connects to the database named by dsn and, unless
// opts.SkipMigrations is set, applies pending migrations.
//
// A "postgres://" or "postgresql://" URL opens PostgreSQL through pgx
// (database/sql with the pgx stdlib driver; runtime parameters such as
// search_path may be given in the URL). Anything else is SQLite: a file
// path (DefaultSQLitePath when empty), a "file:" URI or ":memory:". SQLite
// runs in WAL mode with foreign keys on; all writes go through a single
// connection so concurrent writers in one process never see SQLITE_BUSY,
// and busy_timeout covers other processes.
func Open(ctx context.Context, dsn string, opts *Options) (Store, error) {
	s, err := open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, dsn string, opts *Options) (*sqlStore, error) {
	o := opts.withDefaults()
	var (
		s   *sqlStore
		err error
	)
	switch BackendOf(dsn) {
	case Postgres:
		s, err = openPostgres(ctx, dsn, o)
	default:
		s, err = openSQLite(ctx, dsn, o)
	}
	if err != nil {
		return nil, err
	}
	if err := s.initMigrations(); err != nil {
		s.Close()
		return nil, err
	}
	if !o.SkipMigrations {
		if _, err := s.Migrate(ctx, "up"); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, o Options) (*sqlStore, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx leaves passwords out of its parse errors.
		return nil, fmt.Errorf("store: %w", &InvalidError{Field: "postgres dsn", Reason: err.Error()})
	}
	db := stdlib.OpenDB(*cfg)
	max := o.MaxConns
	if max <= 0 {
		max = 10
	}
	db.SetMaxOpenConns(max)
	db.SetMaxIdleConns(max)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := newSQLStore(Postgres, db, db, o)
	if err := s.pingRetry(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return s, nil
}

func sqliteInMemory(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") ||
		strings.Contains(dsn, "mode=memory")
}

func sqliteDSN(dsn string, busy time.Duration, readOnly bool) string {
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_txlock=immediate",
	}
	if !sqliteInMemory(dsn) {
		params = append(params, "_pragma=journal_mode(WAL)")
	}
	if readOnly {
		params = append(params, "_pragma=query_only(1)")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(params, "&")
}

func openSQLite(ctx context.Context, dsn string, o Options) (*sqlStore, error) {
	if dsn == "" {
		dsn = DefaultSQLitePath
	}
	w, err := sql.Open("sqlite", sqliteDSN(dsn, o.BusyTimeout, false))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time, and
	// queueing writers in database/sql instead of in SQLite's busy handler
	// means they never fail with SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %q: %w", dsn, err)
	}
	r := w
	if !sqliteInMemory(dsn) {
		// WAL lets readers run beside the writer on their own connections.
		r, err = sql.Open("sqlite", sqliteDSN(dsn, o.BusyTimeout, true))
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		max := o.MaxConns
		if max <= 0 {
			max = 4
		}
		r.SetMaxOpenConns(max)
		r.SetMaxIdleConns(max)
	}
	return newSQLStore(SQLite, w, r, o), nil
}

// Migrate opens the database named by dsn without migrating it, runs cmd
// ("up", "down" or "status", see Store.Migrate) and closes it. It is what
// the server's migrate subcommand calls.
func Migrate(ctx context.Context, dsn, cmd string, opts *Options) ([]MigrationStatus, error) {
	o := opts.withDefaults()
	o.SkipMigrations = true
	s, err := open(ctx, dsn, &o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Migrate(ctx, cmd)
}

func (s *sqlStore) pingRetry(ctx context.Context) error {
	return s.retry(ctx, func(ctx context.Context) error { return s.w.PingContext(ctx) })
}
