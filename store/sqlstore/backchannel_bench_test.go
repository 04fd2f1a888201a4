package sqlstore_test

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// benchmarkIdleLogoutPoll measures one poll of the back-channel logout
// worker when nothing is due, which every node runs once a second.
func benchmarkIdleLogoutPoll(b *testing.B, s store.Store) {
	ctx, now := b.Context(), time.Now()
	for b.Loop() {
		if _, err := s.QueueEndedSessions(ctx, now, 20); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ClaimLogoutDeliveries(ctx, now, 10*time.Second, 20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdleLogoutPollSQLite(b *testing.B) { benchmarkIdleLogoutPoll(b, openSQLite(b)) }

func BenchmarkIdleLogoutPollPostgres(b *testing.B) { benchmarkIdleLogoutPoll(b, openPostgres(b)) }
