package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := openSQLite(t.Context(), filepath.Join(t.TempDir(), "idp.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// cached waits until the background preparation of query on db is done
// and reports whether the statement is in the cache.
func cached(s *Store, db *sqlx.DB, query string) bool {
	for range 200 {
		s.stmts.mu.RLock()
		_, ok := s.stmts.stmts[stmtKey{db, query}]
		pending := len(s.stmts.pending)
		s.stmts.mu.RUnlock()
		if ok || pending == 0 {
			return ok
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func TestStatementPreparedOnceAndReused(t *testing.T) {
	s := openInternal(t)
	const q = "SELECT COUNT(*) FROM users WHERE status = ?"
	var n int
	for range 3 {
		if err := s.get(t.Context(), s.read, "count users", &n, q, "active"); err != nil {
			t.Fatal(err)
		}
	}
	if !cached(s, s.read, q) {
		t.Fatal("the statement was not cached after its first use")
	}
	if got := s.prepared(t.Context(), s.read, q); got == nil {
		t.Fatal("a cached statement was not handed out")
	}
}

// TestStatementInTransaction runs a new statement inside a transaction on
// the single SQLite write connection: preparing it must not wait for that
// connection, and the next transaction uses the prepared statement.
func TestStatementInTransaction(t *testing.T) {
	s := openInternal(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const q = "UPDATE users SET name = name WHERE id = ?"
	touch := func(tx *sqlx.Tx) error {
		_, err := s.exec(ctx, tx, "touch user", q, "nobody")
		return err
	}
	if err := s.inTx(ctx, "touch user", touch); err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	if !cached(s, s.write, q) {
		t.Fatal("the statement of the first transaction was not cached after it ended")
	}
	err := s.inTx(ctx, "touch user", func(tx *sqlx.Tx) error {
		if s.prepared(ctx, tx, q) == nil {
			t.Error("the second transaction did not get the prepared statement")
		}
		return touch(tx)
	})
	if err != nil {
		t.Fatalf("second transaction: %v", err)
	}
}

func TestStatementCacheBounded(t *testing.T) {
	s := openInternal(t)
	var n int
	for i := range maxCachedStmts + 20 {
		q := fmt.Sprintf("SELECT %d", i)
		if err := s.get(t.Context(), s.read, "select", &n, q); err != nil || n != i {
			t.Fatalf("%s = %d, %v", q, n, err)
		}
		cached(s, s.read, q)
	}
	s.stmts.mu.RLock()
	size := len(s.stmts.stmts)
	s.stmts.mu.RUnlock()
	if size > maxCachedStmts {
		t.Errorf("cache holds %d statements, want at most %d", size, maxCachedStmts)
	}
	// Beyond the bound statements still run, unprepared.
	if err := s.get(t.Context(), s.read, "select", &n, "SELECT 4242"); err != nil || n != 4242 {
		t.Fatalf("uncached statement = %d, %v", n, err)
	}
}

func TestStatementCacheClosed(t *testing.T) {
	s := openInternal(t)
	var n int
	if err := s.get(t.Context(), s.read, "select", &n, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	cached(s, s.read, "SELECT 1")
	if err := s.stmts.close(); err != nil {
		t.Fatal(err)
	}
	// After close nothing is cached any more, and queries still run.
	if err := s.get(t.Context(), s.read, "select", &n, "SELECT 2"); err != nil || n != 2 {
		t.Fatalf("SELECT 2 after close = %d, %v", n, err)
	}
	if cached(s, s.read, "SELECT 2") {
		t.Error("a statement was cached after close")
	}
}
