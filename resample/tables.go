package resample

import "sync"

// DefaultMaxTables is the number of tables a Tables keeps when MaxEntries
// is zero.
const DefaultMaxTables = 256

// Tables is a concurrency-safe cache of coefficient tables keyed by reduced
// ratio and quality. A table is computed once, on first use, and then
// shared read-only by every Resampler built from the cache: thousands of
// concurrent 8k→16k calls hold one table. The zero value is ready to use.
//
// Resamplers use a process-wide default Tables unless WithTables is given.
type Tables struct {
	// MaxEntries bounds how many tables are kept; 0 means
	// DefaultMaxTables. Once full, further ratios get a private table that
	// is not cached (still correct, just not shared).
	MaxEntries int

	mu sync.Mutex
	m  map[tableKey]*tableEntry
}

type tableKey struct {
	l, m int
	q    Quality
}

type tableEntry struct {
	once sync.Once
	t    *table
	err  error
}

// Len reports how many tables are cached.
func (c *Tables) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *Tables) get(l, m int, q Quality) (*table, error) {
	k := tableKey{l, m, q}
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		limit := c.MaxEntries
		if limit <= 0 {
			limit = DefaultMaxTables
		}
		if len(c.m) >= limit {
			c.mu.Unlock()
			return design(l, m, q)
		}
		if c.m == nil {
			c.m = make(map[tableKey]*tableEntry)
		}
		e = new(tableEntry)
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.t, e.err = design(l, m, q) })
	return e.t, e.err
}

// defaultTables memoises design, a pure function of its key: it never
// changes what any caller observes, only how often tables are computed.
// The pointer is never reassigned. See doc.go.
var defaultTables = new(Tables)
