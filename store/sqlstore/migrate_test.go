package sqlstore_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotelsoft/idp/migrations"
	"github.com/hotelsoft/idp/store/pgtest"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// t0 matches the conformance suite's clock.
var t0 = time.UnixMilli(1_767_225_600_000).UTC()

// migrateConcurrently opens databaseURL from several stores at once, as
// nodes starting together would, and migrates through all of them.
func migrateConcurrently(t *testing.T, databaseURL string) {
	const nodes = 4
	stores := make([]*sqlstore.Store, nodes)
	for i := range stores {
		s, err := sqlstore.Open(t.Context(), databaseURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}

	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}

	// The schema works, and migrating again is a no-op.
	if _, err := stores[0].CountUsers(t.Context()); err != nil {
		t.Fatalf("schema after concurrent migration: %v", err)
	}
	if err := stores[0].Migrate(t.Context()); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	list, err := migrations.List(stores[0].Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no migrations listed")
	}
}

func TestMigrateConcurrentSQLite(t *testing.T) {
	migrateConcurrently(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
}

func TestMigrateConcurrentPostgres(t *testing.T) {
	migrateConcurrently(t, pgtest.Start(t))
}
