package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationFiles holds one directory of goose SQL migrations per dialect.
// Both directories describe the same schema and carry the same versions.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migrationLockID is the PostgreSQL advisory lock key held while
// migrating, so replicas starting together migrate one at a time.
const migrationLockID = 0x63616c6c67 // "callg"

func (s *sqlStore) initMigrations() error {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.backend == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	opts = append(opts, goose.WithDisableGlobalRegistry(true), goose.WithSlog(s.log))
	p, err := goose.NewProvider(dialect, s.w, fsys, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	s.migrations = p
	return nil
}

// Migrate implements Store.
func (s *sqlStore) Migrate(ctx context.Context, cmd string) ([]MigrationStatus, error) {
	switch cmd {
	case "up":
		res, err := s.migrations.Up(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: migrate up: %w", err)
		}
		for _, r := range res {
			s.log.InfoContext(ctx, "migration applied", "version", r.Source.Version,
				"file", path.Base(r.Source.Path), "duration", r.Duration)
		}
	case "down":
		r, err := s.migrations.Down(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: migrate down: %w", err)
		}
		s.log.InfoContext(ctx, "migration rolled back", "version", r.Source.Version,
			"file", path.Base(r.Source.Path), "duration", r.Duration)
	case "status":
	default:
		return nil, fmt.Errorf("store: migrate: %w", invalid("command", fmt.Sprintf("%q is not up, down or status", cmd)))
	}
	return s.migrationStatus(ctx)
}

func (s *sqlStore) migrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	st, err := s.migrations.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, m := range st {
		ms := MigrationStatus{
			Version: m.Source.Version,
			Name:    path.Base(m.Source.Path),
			Applied: m.State == goose.StateApplied,
		}
		if !m.AppliedAt.IsZero() {
			ms.AppliedAt = m.AppliedAt.UTC().Truncate(time.Microsecond)
		}
		out = append(out, ms)
	}
	return out, nil
}

// CheckMigrations implements Store.
func (s *sqlStore) CheckMigrations(ctx context.Context) error {
	current, target, err := s.migrations.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("store: check migrations: %w", err)
	}
	if current < target {
		return fmt.Errorf("%w: database at version %d, binary expects %d", ErrMigrationsPending, current, target)
	}
	return nil
}
