package sqlstore_test

import (
	"testing"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/storetest"
)

func BenchmarkSQLite(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return openSQLite(b) })
}

func BenchmarkPostgres(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return openPostgres(b) })
}
