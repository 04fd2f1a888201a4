package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hotelsoft/idp/migrations"
)

// migrationLockID is the PostgreSQL advisory lock key that serialises
// Migrate across processes. The value is arbitrary but fixed.
const migrationLockID = 7_281_902_113

// Migrate applies the pending migrations in version order, each in its own
// transaction together with its row in schema_migrations. Processes that
// start at once are safe: on PostgreSQL they queue on an advisory lock, and
// on SQLite each migration's write transaction excludes the others, which
// then see the recorded version and skip it.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := migrations.List(s.dialect)
	if err != nil {
		return err
	}

	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()

	if s.dialect == DialectPostgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
			return fmt.Errorf("migrate: take lock: %w", err)
		}
		defer func() {
			// A fresh context, so the lock is released even when ctx ended.
			if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockID); err != nil {
				s.logger.Error("release migration lock", "err", err)
			}
		}()
	}

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}

	for _, m := range list {
		applied, err := s.applyMigration(ctx, conn, m)
		if err != nil {
			return err
		}
		if applied {
			s.logger.Info("applied migration", "dialect", s.dialect, "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// applyMigration runs m unless schema_migrations already records it, and
// reports whether it ran.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migrations.Migration) (applied bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	var n int
	if err := tx.QueryRowContext(ctx, s.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, tx.Rollback()
	}

	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("migrate %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	return true, nil
}
