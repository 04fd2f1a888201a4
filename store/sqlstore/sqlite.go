package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hotelsoft/idp/store"
)

// sqliteBusyTimeoutMS is how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY. Writers of this process
// first queue for the one write connection, so they never contend with
// each other here.
const sqliteBusyTimeoutMS = 10000

// openSQLite opens the database file at path with two pools: one
// connection for writes, and several connections opened with query_only,
// which WAL mode lets read beside the writer.
func openSQLite(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database: create folder: %w", err)
	}

	params := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)", sqliteBusyTimeoutMS)
	write, err := sqlx.Open("sqlite", path+params+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	// The write pool connects first, so the file exists in WAL mode before
	// a read-only connection opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	read, err := sqlx.Open("sqlite", path+params+"&_query_only=1")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	conns := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(conns)
	read.SetMaxIdleConns(conns)

	s := &Store{dialect: DialectSQLite, read: read, write: write, logger: logger}
	if err := s.checkSQLiteVersion(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkSQLitePath rejects paths that the driver would read as parameters
// or as a URI, and in-memory databases, which the two pools could not
// share.
func checkSQLitePath(path string) error {
	switch {
	case path == "":
		return errors.New("open database: sqlite:// needs a file path, such as sqlite://data/idp.db")
	case strings.ContainsAny(path, "?#"):
		return fmt.Errorf("open database: SQLite path %q contains '?' or '#': parameters are not supported", path)
	case strings.HasPrefix(path, "file:"), strings.Contains(path, ":memory:"):
		return fmt.Errorf("open database: SQLite path %q: URIs and in-memory databases are not supported, use a file path", path)
	}
	return nil
}

// checkSQLiteVersion requires SQLite 3.35, the first with RETURNING.
func (s *Store) checkSQLiteVersion(ctx context.Context) error {
	var version string
	if err := s.read.GetContext(ctx, &version, "SELECT sqlite_version()"); err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil || major < 3 || (major == 3 && minor < 35) {
		return fmt.Errorf("open database: SQLite %s is too old, want 3.35 or later", version)
	}
	return nil
}

// classifySQLite maps SQLite constraint errors onto store sentinels. A
// foreign-key violation means the row referred to does not exist.
func classifySQLite(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return store.ErrAlreadyExists
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return store.ErrNotFound
	}
	return nil
}
