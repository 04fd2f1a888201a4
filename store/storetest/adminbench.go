package storetest

import (
	"fmt"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// userListSize is how many users BenchmarkUserList seeds: the size of a
// large hotel chain.
const userListSize = 50_000

// BenchmarkUserList measures one page of the admin user list over 50,000
// users in two properties, at the start, deep in the list, and with the
// status filter, search and property limit the console uses.
func BenchmarkUserList(b *testing.B, newStore func(b *testing.B) store.Store) {
	s := newStore(b)
	c := b.Context()
	for _, p := range []string{"p1", "p2"} {
		if err := s.CreateProperty(c, store.Property{ID: p, Name: p, CreatedAt: t0}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range userListSize {
		u := newUser(fmt.Sprintf("u%06d", i))
		if err := s.CreateUser(c, u); err != nil {
			b.Fatal(err)
		}
		if err := s.AddUserProperty(c, u.ID, []string{"p1", "p2"}[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	deep := newUser(fmt.Sprintf("u%06d", userListSize*4/5)).EmailKey
	cases := []struct {
		name string
		q    store.UserQuery
	}{
		{"FirstPage", store.UserQuery{}},
		{"DeepPage", store.UserQuery{After: deep}},
		{"No2FA", store.UserQuery{Filter: store.FilterNo2FA, After: deep}},
		{"Property", store.UserQuery{Properties: []string{"p2"}, After: deep}},
		{"Search", store.UserQuery{Search: "u04999"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			tc.q.Now = t0
			for b.Loop() {
				rows, err := s.SearchUsers(c, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(rows) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}
