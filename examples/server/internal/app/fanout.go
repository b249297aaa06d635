package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/notify/pgnotify"
)

// PGFanout returns a FanoutFunc delivering events to every replica's Hub
// over PostgreSQL LISTEN/NOTIFY (package notify/pgnotify). It creates the
// bridge's table when missing and returns once the listener is connected
// and caught up, so events published after New are never missed.
func PGFanout(dsn string, log *slog.Logger) FanoutFunc {
	return func(ctx context.Context, hub *notify.Hub) (Fanout, func(context.Context) error, error) {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("pgnotify pool: %w", err)
		}
		b, err := pgnotify.New(pool, hub, pgnotify.Options{Logger: log.With("component", "pgnotify"), Backfill: 100})
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		if err := b.CreateSchema(ctx); err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("pgnotify schema: %w", err)
		}
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan error, 1)
		go func() { done <- b.Run(runCtx) }()
		wait := time.NewTimer(15 * time.Second)
		defer wait.Stop()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for b.Stats().ListenerPID == 0 {
			select {
			case <-tick.C:
			case err := <-done:
				cancel()
				pool.Close()
				return nil, nil, fmt.Errorf("pgnotify listener: %w", err)
			case <-wait.C:
				cancel()
				<-done
				pool.Close()
				return nil, nil, errors.New("pgnotify listener did not connect within 15s")
			case <-ctx.Done():
				cancel()
				<-done
				pool.Close()
				return nil, nil, ctx.Err()
			}
		}
		closeFn := func(ctx context.Context) error {
			cancel()
			defer pool.Close()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return b, closeFn, nil
	}
}
