package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var backchannelTests = []test{
	{"LogoutQueue", testLogoutQueue},
	{"LogoutQueueRevokePaths", testLogoutQueueRevokePaths},
	{"LogoutQueueConcurrent", testLogoutQueueConcurrent},
	{"LogoutDeliveryLease", testLogoutDeliveryLease},
}

// sessionWithClients creates a session of user-alice in which each client
// received tokens.
func sessionWithClients(t *testing.T, s store.Store, sessionID string, clientIDs ...string) {
	t.Helper()
	must(t, s.CreateSession(ctx(t), newSession(sessionID, "user-alice")))
	for _, c := range clientIDs {
		at, rt := newTokens(c, "user-alice", sessionID+"-"+c, "")
		at.SessionID, rt.SessionID = sessionID, sessionID
		must(t, s.CreateTokens(ctx(t), at, &rt))
	}
}

// createLogoutClients registers "with-uri", which has a back-channel
// logout URI, and "without-uri", which has none.
func createLogoutClients(t *testing.T, s store.Store) {
	t.Helper()
	must(t, s.CreateClient(ctx(t), newClient("with-uri", "A")))
	c := newClient("without-uri", "B")
	c.BackchannelLogoutURI = ""
	must(t, s.CreateClient(ctx(t), c))
}

func queue(t *testing.T, s store.Store, now time.Time) int {
	t.Helper()
	n, err := s.QueueEndedSessions(ctx(t), now, 100)
	must(t, err)
	return n
}

func claim(t *testing.T, s store.Store, now time.Time) []store.LogoutDelivery {
	t.Helper()
	ds, err := s.ClaimLogoutDeliveries(ctx(t), now, time.Minute, 100)
	must(t, err)
	return ds
}

func testLogoutQueue(t *testing.T, s store.Store) {
	createLogoutClients(t, s)
	sessionWithClients(t, s, "ended", "with-uri", "without-uri")
	sessionWithClients(t, s, "live", "with-uri")
	if n := queue(t, s, t0); n != 0 {
		t.Fatalf("queued %d sessions before any ended, want 0", n)
	}

	must(t, s.RevokeSession(ctx(t), "ended", t0))
	if n := queue(t, s, t0); n != 1 {
		t.Fatalf("queued %d sessions, want 1", n)
	}
	if n := queue(t, s, t0); n != 0 {
		t.Fatalf("queued the same session again: %d", n)
	}

	ds := claim(t, s, t0)
	if len(ds) != 1 {
		t.Fatalf("claimed %d deliveries, want 1: %+v", len(ds), ds)
	}
	d := ds[0]
	want := store.LogoutDelivery{SessionID: "ended", ClientID: "with-uri", Subject: "user-alice",
		URI: "https://app.example.com/backchannel", Attempts: 1}
	if d.SessionID != want.SessionID || d.ClientID != want.ClientID || d.Subject != want.Subject ||
		d.URI != want.URI || d.Attempts != want.Attempts {
		t.Errorf("delivery = %+v, want %+v", d, want)
	}
	must(t, s.DeleteLogoutDelivery(ctx(t), d.SessionID, d.ClientID))
	must(t, s.DeleteLogoutDelivery(ctx(t), d.SessionID, d.ClientID))
	if ds := claim(t, s, t0.Add(time.Hour)); len(ds) != 0 {
		t.Errorf("claimed %d deliveries after delete, want 0", len(ds))
	}
	wantErr(t, s.RetryLogoutDelivery(ctx(t), "ended", "with-uri", t0), store.ErrNotFound)
}

func testLogoutQueueRevokePaths(t *testing.T, s store.Store) {
	createLogoutClients(t, s)
	sessionWithClients(t, s, "a", "with-uri")
	sessionWithClients(t, s, "b", "with-uri")
	sessionWithClients(t, s, "c", "with-uri")

	_, err := s.RevokeOtherSessions(ctx(t), "user-alice", "a", t0)
	must(t, err)
	if n := queue(t, s, t0); n != 2 {
		t.Errorf("after RevokeOtherSessions queued %d sessions, want 2", n)
	}
	must(t, s.RevokeUserSessions(ctx(t), "user-alice", t0))
	if n := queue(t, s, t0); n != 1 {
		t.Errorf("after RevokeUserSessions queued %d sessions, want 1", n)
	}
	if ds := claim(t, s, t0); len(ds) != 3 {
		t.Errorf("claimed %d deliveries, want 3", len(ds))
	}
}

func testLogoutQueueConcurrent(t *testing.T, s store.Store) {
	createLogoutClients(t, s)
	sessionWithClients(t, s, "ended", "with-uri")
	must(t, s.RevokeSession(ctx(t), "ended", t0))

	taken := make([]int, concurrency)
	errs := race(func(i int) error {
		n, err := s.QueueEndedSessions(ctx(t), t0, 10)
		taken[i] = n
		return err
	})
	countErrs(t, errs, nil)
	total := 0
	for _, n := range taken {
		total += n
	}
	if total != 1 {
		t.Errorf("sessions taken by concurrent callers = %d, want 1", total)
	}

	claimed := make([]int, concurrency)
	errs = race(func(i int) error {
		ds, err := s.ClaimLogoutDeliveries(ctx(t), t0, time.Minute, 10)
		claimed[i] = len(ds)
		return err
	})
	countErrs(t, errs, nil)
	total = 0
	for _, n := range claimed {
		total += n
	}
	if total != 1 {
		t.Errorf("deliveries claimed by concurrent callers = %d, want 1", total)
	}
}

func testLogoutDeliveryLease(t *testing.T, s store.Store) {
	createLogoutClients(t, s)
	sessionWithClients(t, s, "ended", "with-uri")
	must(t, s.RevokeSession(ctx(t), "ended", t0))
	queue(t, s, t0)

	if ds := claim(t, s, t0); len(ds) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(ds))
	}
	if ds := claim(t, s, t0.Add(30*time.Second)); len(ds) != 0 {
		t.Fatalf("claimed a leased delivery: %+v", ds)
	}
	ds := claim(t, s, t0.Add(time.Minute))
	if len(ds) != 1 || ds[0].Attempts != 2 {
		t.Fatalf("after the lease: %+v, want one delivery at attempt 2", ds)
	}

	retryAt := t0.Add(10 * time.Minute)
	must(t, s.RetryLogoutDelivery(ctx(t), "ended", "with-uri", retryAt))
	if ds := claim(t, s, retryAt.Add(-time.Millisecond)); len(ds) != 0 {
		t.Fatalf("claimed before the retry time: %+v", ds)
	}
	if ds := claim(t, s, retryAt); len(ds) != 1 {
		t.Fatalf("claimed %d deliveries at the retry time, want 1", len(ds))
	}
}
