package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hotelsoft/idp/migrations"
)

// PoolStats returns the statistics of the store's connection pools by
// name: "read" and "write" on SQLite, whose writes have one connection of
// their own, and "main" on PostgreSQL, where one pool serves both.
func (s *Store) PoolStats() map[string]sql.DBStats {
	if s.read == s.write {
		return map[string]sql.DBStats{"main": s.read.Stats()}
	}
	return map[string]sql.DBStats{"read": s.read.Stats(), "write": s.write.Stats()}
}

// PendingMigrations returns how many embedded migrations the database has
// not applied, for readiness checks: a node whose binary is newer than
// the schema must not take traffic.
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	list, err := migrations.List(s.dialect)
	if err != nil {
		return 0, err
	}
	var applied []int64
	if err := s.read.SelectContext(ctx, &applied, "SELECT version FROM schema_migrations"); err != nil {
		return 0, fmt.Errorf("list applied migrations: %w", err)
	}
	done := make(map[int64]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	pending := 0
	for _, m := range list {
		if !done[int64(m.Version)] {
			pending++
		}
	}
	return pending, nil
}
