package sqlstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
)

func TestOpenRejects(t *testing.T) {
	urls := []string{
		"",
		"mysql://user:s3cret@localhost/idp",
		"sqlite://",
		"sqlite://:memory:",
		"sqlite://data/idp.db?mode=ro",
		"sqlite://file:idp.db",
		"postgres://user:s3cret@host:badport/idp",
		"postgres://user:s3cret@[::1/idp",
	}
	for _, u := range urls {
		s, err := sqlstore.Open(t.Context(), u, nil)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) error reveals the password: %v", u, err)
		}
	}
}

func TestOpenSQLiteFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := openMigrated(t, "sqlite://"+filepath.Join(dir, "idp.db"))
	if s.Dialect() != sqlstore.DialectSQLite {
		t.Errorf("Dialect = %q, want %q", s.Dialect(), sqlstore.DialectSQLite)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("folder mode = %v, want 0700", perm)
	}
}

func TestOpenSQLiteRelative(t *testing.T) {
	t.Chdir(t.TempDir())
	openMigrated(t, "sqlite://data/idp.db")
	if _, err := os.Stat(filepath.Join("data", "idp.db")); err != nil {
		t.Errorf("relative database file: %v", err)
	}
}

// TestSQLiteTwoWriters opens one file twice, as two processes would, and
// races writers through both: none may fail with SQLITE_BUSY, and every
// attempt is counted.
func TestSQLiteTwoWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idp.db")
	a := openMigrated(t, "sqlite://"+path)
	b := openMigrated(t, "sqlite://"+path)

	const perStore = 25
	rule := store.ThrottleRule{Free: 1000, Delay: time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, s := range []*sqlstore.Store{a, b} {
		for range perStore {
			wg.Go(func() {
				_, _, err := s.TakeAttempt(t.Context(), "shared", rule, t0)
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write: %v", err)
		}
	}

	// 2*perStore failures are counted, so Free-2*perStore remain.
	rule.Free = 2 * perStore
	allowed, _, err := a.TakeAttempt(t.Context(), "shared", rule, t0)
	if err != nil {
		t.Fatal(err)
	}
	if allowed {
		t.Errorf("attempt allowed after %d counted failures with Free=%d", 2*perStore, rule.Free)
	}
}
