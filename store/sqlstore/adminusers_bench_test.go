package sqlstore_test

import (
	"testing"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/storetest"
)

func BenchmarkUserListSQLite(b *testing.B) {
	storetest.BenchmarkUserList(b, func(b *testing.B) store.Store { return openSQLite(b) })
}

func BenchmarkUserListPostgres(b *testing.B) {
	storetest.BenchmarkUserList(b, func(b *testing.B) store.Store { return openPostgres(b) })
}
