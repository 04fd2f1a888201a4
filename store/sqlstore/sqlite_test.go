package sqlstore_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
	"github.com/hotelsoft/idp/store/storetest"
)

// openSQLite returns a migrated store on a new file in a temporary folder.
func openSQLite(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return openMigrated(tb, "sqlite://"+filepath.Join(tb.TempDir(), "idp.db"))
}

// openMigrated opens databaseURL, migrates it and closes it when the test
// ends.
func openMigrated(tb testing.TB, databaseURL string) *sqlstore.Store {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(tWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := sqlstore.Open(tb.Context(), databaseURL, logger)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// tWriter sends log output to the test log.
type tWriter struct{ tb testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}
