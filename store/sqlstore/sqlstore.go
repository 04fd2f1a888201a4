// Package sqlstore implements store.Store on SQLite and PostgreSQL with one
// set of SQL statements.
//
// Statements are written with '?' placeholders and rebound for PostgreSQL.
// The few differences between the dialects (driver error codes, row locks,
// the migration lock, connection set-up) live in small functions of their
// own. Every single-use credential is consumed by one conditional UPDATE, so
// two nodes racing for the same code or token cannot both win.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// Dialect names, as Dialect returns them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Store is the SQL implementation of store.Store. It is safe for concurrent
// use.
type Store struct {
	dialect string
	// read runs statements outside transactions that change nothing.
	read *sqlx.DB
	// write runs every statement that changes rows. On SQLite it is a
	// single connection, so writers of this process queue in Go instead of
	// failing with SQLITE_BUSY. On PostgreSQL it is the same pool as read.
	write  *sqlx.DB
	logger *slog.Logger
	stmts  stmtCache
}

var _ store.Store = (*Store)(nil)

// Open connects to the database that databaseURL names: sqlite://PATH (a
// relative or absolute file path, whose folder is created with mode 0700)
// or postgres://... and postgresql://... in the form lib/pq accepts. It
// does not migrate, so call Migrate next. A nil logger discards.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite://"), logger)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL, logger)
	}
	// The URL may carry a password, so only its scheme goes into the error.
	scheme, _, found := strings.Cut(databaseURL, "://")
	if !found {
		scheme = ""
	}
	return nil, fmt.Errorf("open database: unsupported URL scheme %q: want sqlite://PATH or a postgres:// or postgresql:// URL", scheme)
}

// Dialect returns "sqlite" or "postgres", for logs.
func (s *Store) Dialect() string { return s.dialect }

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes every connection.
func (s *Store) Close() error {
	err := errors.Join(s.stmts.close(), s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// rebind turns '?' placeholders into the dialect's form.
func (s *Store) rebind(query string) string {
	return s.write.Rebind(query)
}

// get scans one row into dest. A missing row is store.ErrNotFound.
func (s *Store) get(ctx context.Context, q sqlx.QueryerContext, op string, dest any, query string, args ...any) error {
	query = s.rebind(query)
	if st := s.prepared(ctx, q, query); st != nil {
		q = st
	}
	return s.fail(op, sqlx.GetContext(ctx, q, dest, query, args...))
}

// selectRows scans every row into dest, a pointer to a slice.
func (s *Store) selectRows(ctx context.Context, q sqlx.QueryerContext, op string, dest any, query string, args ...any) error {
	query = s.rebind(query)
	if st := s.prepared(ctx, q, query); st != nil {
		q = st
	}
	return s.fail(op, sqlx.SelectContext(ctx, q, dest, query, args...))
}

// exec runs a statement and returns the number of rows it changed.
func (s *Store) exec(ctx context.Context, e sqlx.ExecerContext, op string, query string, args ...any) (int64, error) {
	query = s.rebind(query)
	if st := s.prepared(ctx, e, query); st != nil {
		e = st
	}
	res, err := e.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(op, err)
	}
	return n, nil
}

// insert runs a statement with :name parameters taken from the db tags of
// row.
func (s *Store) insert(ctx context.Context, e sqlx.ExecerContext, op string, query string, row any) error {
	q, args, err := sqlx.Named(query, row)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.exec(ctx, e, op, q, args...)
	return err
}

// inTx runs fn in a write transaction and commits when fn returns nil. On
// SQLite the transaction starts with BEGIN IMMEDIATE, so it holds the write
// lock from its first statement and never fails halfway on an upgrade.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return s.fail(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// fail wraps err with the operation name, mapping sql.ErrNoRows and the
// dialect's constraint errors onto the store sentinels. Constraint errors
// lose the driver's text, because it quotes the offending values.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if sentinel := s.classify(err); sentinel != nil {
		return fmt.Errorf("%s: %w", op, sentinel)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// classify maps a driver error onto a store sentinel, or returns nil.
func (s *Store) classify(err error) error {
	if s.dialect == DialectPostgres {
		return classifyPostgres(err)
	}
	return classifySQLite(err)
}

// forUpdate returns the clause that locks the selected rows until the end
// of the transaction. SQLite has none and needs none, because a write
// transaction there already excludes every other writer.
func (s *Store) forUpdate() string {
	if s.dialect == DialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}
