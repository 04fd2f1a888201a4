package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxCachedStmts bounds the statement cache, because statements built at
// run time (filters, IN lists) could otherwise grow it without end.
// Statements beyond the bound run unprepared.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per pool and statement text, so
// the database parses and plans a statement once per connection instead
// of on every call. In a CPU profile of sign-ins on SQLite, that parsing
// was about a seventh of the CPU beyond the password hash. On PostgreSQL a
// named statement also saves a round trip. The zero value is ready to use.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[stmtKey]*sqlx.Stmt
	// pending holds the keys being prepared in the background, with the
	// function that cancels their preparation. preparing counts those
	// goroutines, so that close can wait for them.
	pending   map[stmtKey]context.CancelFunc
	preparing sync.WaitGroup
	closed    bool
}

type stmtKey struct {
	db    *sqlx.DB
	query string
}

// lookup returns the cached statement for query on db, or nil.
func (c *stmtCache) lookup(db *sqlx.DB, query string) *sqlx.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[stmtKey{db, query}]
}

// prepareLater prepares query on db in a new goroutine, once per key and
// only while the cache has room, and returns at once. Preparing needs a
// connection of the pool, which a caller inside a transaction may hold
// (the SQLite write pool has a single one). So the caller runs its query
// unprepared, and a later call finds the statement.
func (c *stmtCache) prepareLater(db *sqlx.DB, query string) {
	key := stmtKey{db, query}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.pending[key] != nil || c.stmts[key] != nil || len(c.stmts)+len(c.pending) >= maxCachedStmts {
		return
	}
	if c.pending == nil {
		c.pending = make(map[stmtKey]context.CancelFunc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c.pending[key] = cancel
	c.preparing.Go(func() {
		defer cancel()
		st, err := db.PreparexContext(ctx, query)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.pending, key)
		if err != nil {
			return // the statement keeps running unprepared
		}
		if c.closed {
			st.Close()
			return
		}
		if c.stmts == nil {
			c.stmts = make(map[stmtKey]*sqlx.Stmt)
		}
		c.stmts[key] = st
	})
}

// close stops the preparations under way, waits for them, and closes every
// cached statement. Nothing is cached after close.
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	for _, cancel := range c.pending {
		cancel()
	}
	c.mu.Unlock()
	c.preparing.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for key, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, key)
	}
	return errors.Join(errs...)
}

// prepared returns the cached prepared statement of the rebound query
// for q, a pool of the store or one of its transactions. It returns nil,
// and the caller runs the query on q itself, for any other q and while the
// statement is not prepared yet.
func (s *Store) prepared(ctx context.Context, q any, query string) *stmtRunner {
	var (
		db *sqlx.DB
		tx *sqlx.Tx
	)
	switch q := q.(type) {
	case *sqlx.DB:
		db = q
	case *sqlx.Tx:
		db, tx = s.write, q // every transaction of the store runs on the write pool
	default:
		return nil
	}
	st := s.stmts.lookup(db, query)
	if st == nil {
		s.stmts.prepareLater(db, query)
		return nil
	}
	if tx != nil {
		// The transaction's connection reuses the statement when it was
		// prepared there before; it closes with the transaction.
		st = tx.StmtxContext(ctx, st)
	}
	return &stmtRunner{st}
}

// stmtRunner adapts a prepared statement to sqlx.QueryerContext and
// sqlx.ExecerContext; the query text is already in the statement.
type stmtRunner struct{ st *sqlx.Stmt }

func (r stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return r.st.QueryContext(ctx, args...)
}

func (r stmtRunner) QueryxContext(ctx context.Context, _ string, args ...any) (*sqlx.Rows, error) {
	return r.st.QueryxContext(ctx, args...)
}

func (r stmtRunner) QueryRowxContext(ctx context.Context, _ string, args ...any) *sqlx.Row {
	return r.st.QueryRowxContext(ctx, args...)
}

func (r stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return r.st.ExecContext(ctx, args...)
}
