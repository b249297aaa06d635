package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache; queries past it run unprepared.
const maxCachedStmts = 256

// stmtCache keeps the write path's statements prepared. modernc.org/sqlite
// parses and plans every statement it is given from scratch (a third of a
// verdict insert's CPU under load); pgx caches prepared statements by
// itself, so PostgreSQL stores have no stmtCache (a nil *stmtCache wraps
// nothing). Statements are prepared on the write pool and bound to a
// transaction with Tx.StmtContext, which reuses the connection's prepared
// statement.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt // prepared
	want map[string]struct{}  // seen, to be prepared
}

// wrap returns q with its statements served from the cache.
func (c *stmtCache) wrap(q querier) querier {
	if c == nil {
		return q
	}
	return cachedQuerier{c: c, q: q}
}

// get returns the prepared statement for query, or nil when it is not
// prepared yet (it is then noted, and prepared by the next prepare call) or
// the cache is full: the caller runs query unprepared.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m)+len(c.want) < maxCachedStmts {
		c.want[query] = struct{}{}
	}
	return nil
}

// prepare prepares the statements noted by get. It runs outside
// transactions and without holding the cache's lock while it prepares:
// SQLite's write pool has one connection, which an open transaction holds
// (and that transaction may be asking the cache for a statement). A
// statement that fails to prepare is forgotten (noted again, and retried,
// on its next use; running it unprepared reports the error).
func (c *stmtCache) prepare(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	todo := make([]string, 0, len(c.want))
	for q := range c.want {
		todo = append(todo, q)
	}
	c.mu.Unlock()
	for _, q := range todo {
		st, err := c.db.PrepareContext(ctx, q)
		c.mu.Lock()
		if _, wanted := c.want[q]; !wanted { // closed meanwhile, or prepared by another caller
			if err == nil {
				_ = st.Close()
			}
		} else {
			delete(c.want, q)
			if err == nil {
				c.m[q] = st
			}
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	clear(c.m)
	clear(c.want)
}

// cachedQuerier runs q's statements through the cache.
type cachedQuerier struct {
	c *stmtCache
	q querier
}

// stmt binds the cached statement for query to the querier (a transaction
// or the write pool); ok is false when query must run unprepared.
func (cq cachedQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, bool) {
	st := cq.c.get(query)
	if st == nil {
		return nil, false
	}
	if tx, isTx := cq.q.(*sql.Tx); isTx {
		return tx.StmtContext(ctx, st), true
	}
	return st, true
}

func (cq cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := cq.stmt(ctx, query); ok {
		return st.QueryContext(ctx, args...)
	}
	return cq.q.QueryContext(ctx, query, args...)
}

func (cq cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := cq.stmt(ctx, query); ok {
		return st.QueryRowContext(ctx, args...)
	}
	return cq.q.QueryRowContext(ctx, query, args...)
}

func (cq cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := cq.stmt(ctx, query); ok {
		return st.ExecContext(ctx, args...)
	}
	return cq.q.ExecContext(ctx, query, args...)
}
