package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// Benchmark measures the queries on the sign-in path: redeeming a code,
// looking up a session, and taking a throttle attempt. newStore must
// return an empty, migrated store.
func Benchmark(b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Run("RedeemAuthCode", func(b *testing.B) { benchRedeemAuthCode(b, newStore(b)) })
	b.Run("SessionByTokenHash", func(b *testing.B) { benchSessionByTokenHash(b, newStore(b)) })
	b.Run("TakeAttempt", func(b *testing.B) { benchTakeAttempt(b, newStore(b)) })
}

// benchRedeemAuthCode redeems one fresh code per iteration; issuing the
// codes is not timed.
func benchRedeemAuthCode(b *testing.B, s store.Store) {
	ctx := b.Context()
	for i := range b.N {
		id := fmt.Sprintf("req-%d", i)
		if err := s.CreateAuthRequest(ctx, newAuthRequest(id)); err != nil {
			b.Fatal(err)
		}
		if err := s.CompleteAuthRequest(ctx, id, browserA, completion, t0); err != nil {
			b.Fatal(err)
		}
		if err := s.SaveAuthCode(ctx, id, "code-"+id, t0.Add(codeTTL)); err != nil {
			b.Fatal(err)
		}
	}

	b.ResetTimer()
	for i := range b.N {
		if _, err := s.RedeemAuthCode(ctx, fmt.Sprintf("code-req-%d", i), t0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSessionByTokenHash looks up sessions among a thousand, from
// parallel goroutines as browsers would.
func benchSessionByTokenHash(b *testing.B, s store.Store) {
	const sessions = 1000
	ctx := b.Context()
	for i := range sessions {
		if err := s.CreateSession(ctx, newSession(fmt.Sprintf("s%d", i), "user-alice")); err != nil {
			b.Fatal(err)
		}
	}

	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.SessionByTokenHash(ctx, fmt.Sprintf("sth-s%d", i%sessions), t0); err != nil {
				b.Error(err) // FailNow may not run on RunParallel goroutines
				return
			}
			i++
		}
	})
}

// benchTakeAttempt takes attempts on a hundred keys from parallel
// goroutines, with a rule that never blocks.
func benchTakeAttempt(b *testing.B, s store.Store) {
	rule := store.ThrottleRule{Free: 1 << 30, Delay: time.Second}
	ctx := b.Context()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := s.TakeAttempt(ctx, fmt.Sprintf("key-%d", i%100), rule, t0); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
