package sqlstore_test

import (
	"testing"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/pgtest"
	"github.com/hotelsoft/idp/store/sqlstore"
	"github.com/hotelsoft/idp/store/storetest"
)

// openPostgres returns a migrated store on a new database of the test
// server.
func openPostgres(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return openMigrated(tb, pgtest.Start(tb))
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}
