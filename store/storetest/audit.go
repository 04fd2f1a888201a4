package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var auditTests = []test{
	{"AuditFilters", testAuditFilters},
	{"AuditLimit", testAuditLimit},
}

func testAuditFilters(t *testing.T, s store.Store) {
	events := []store.AuditEvent{
		{Time: t0, Event: "sign_in", UserID: "user-alice", ClientID: "web", IP: "192.0.2.1", Detail: map[string]string{"method": "totp"}},
		{Time: t0.Add(time.Minute), Event: "sign_in_failed", UserID: "user-bob", IP: "192.0.2.2"},
		{Time: t0.Add(2 * time.Minute), Event: "sign_in", UserID: "user-bob", IP: "192.0.2.2"},
		{Time: t0.Add(3 * time.Minute), Event: "2fa_reset", ActorID: "user-admin", UserID: "user-alice"},
	}
	for _, e := range events {
		must(t, s.AddAuditEvent(ctx(t), e))
	}
	wantAnyErr(t, s.AddAuditEvent(ctx(t), store.AuditEvent{Event: "no_time"}))

	all, err := s.AuditEvents(ctx(t), store.AuditFilter{})
	must(t, err)
	if len(all) != 4 || all[0].Event != "2fa_reset" || all[3].Event != "sign_in" {
		t.Fatalf("AuditEvents = %+v, want all four, newest first", all)
	}
	first := all[3]
	first.ID = 0
	if !reflect.DeepEqual(first, events[0]) {
		t.Errorf("oldest event = %+v, want %+v", first, events[0])
	}
	if all[0].ID <= all[3].ID {
		t.Errorf("IDs %d and %d do not grow with insertion", all[3].ID, all[0].ID)
	}

	cases := []struct {
		name   string
		filter store.AuditFilter
		want   []string
	}{
		{"user", store.AuditFilter{UserID: "user-alice"}, []string{"2fa_reset", "sign_in"}},
		{"event", store.AuditFilter{Event: "sign_in"}, []string{"sign_in", "sign_in"}},
		{"since", store.AuditFilter{Since: t0.Add(2 * time.Minute)}, []string{"2fa_reset", "sign_in"}},
		{"combined", store.AuditFilter{UserID: "user-bob", Event: "sign_in_failed"}, []string{"sign_in_failed"}},
		{"no match", store.AuditFilter{UserID: "nobody"}, nil},
	}
	for _, c := range cases {
		got, err := s.AuditEvents(ctx(t), c.filter)
		must(t, err)
		var names []string
		for _, e := range got {
			names = append(names, e.Event)
		}
		if !equalStrings(names, c.want) {
			t.Errorf("%s: events = %v, want %v", c.name, names, c.want)
		}
	}
}

func testAuditLimit(t *testing.T, s store.Store) {
	for i := range 5 {
		must(t, s.AddAuditEvent(ctx(t), store.AuditEvent{Time: t0, Event: "e", Detail: map[string]string{"i": string(rune('0' + i))}}))
	}
	got, err := s.AuditEvents(ctx(t), store.AuditFilter{Limit: 2})
	must(t, err)
	// Same time: newest insertion first.
	if len(got) != 2 || got[0].Detail["i"] != "4" || got[1].Detail["i"] != "3" {
		t.Errorf("AuditEvents(limit 2) = %+v, want the last two inserted, newest first", got)
	}
	_, err = s.AuditEvents(ctx(t), store.AuditFilter{Limit: -1})
	wantAnyErr(t, err)
}
