package idp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// keyStates returns the state of each listed key by ID.
func keyStates(t *testing.T, infos []idp.KeyInfo) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, k := range infos {
		m[k.ID] = k.State
	}
	return m
}

func TestMaintainSigningKeysSchedule(t *testing.T) {
	ctx := context.Background()
	st, keys := openStore(t), mustKeys(t)
	p := idp.KeyPolicy{Rotation: 30 * 24 * time.Hour, PublishAhead: 24 * time.Hour, Retention: 7 * 24 * time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	if created, err := idp.EnsureSigningKey(ctx, st, keys, p, t0); err != nil || !created {
		t.Fatalf("EnsureSigningKey = %v, %v; want a new key", created, err)
	}
	first, _ := idp.ListSigningKeys(ctx, st, t0)

	// Long before the lead time nothing happens.
	if k, err := idp.MaintainSigningKeys(ctx, st, keys, p, t0.Add(28*24*time.Hour)); err != nil || k != nil {
		t.Fatalf("day 28: created %v, err %v; want nothing", k, err)
	}

	// A day before the handover the successor is published, not signing.
	day29 := t0.Add(29 * 24 * time.Hour)
	next, err := idp.MaintainSigningKeys(ctx, st, keys, p, day29)
	if err != nil || next == nil {
		t.Fatalf("day 29: created %v, err %v; want the successor", next, err)
	}
	if want := t0.Add(30 * 24 * time.Hour); !next.ActiveFrom.Equal(want) {
		t.Errorf("successor signs from %v, want %v", next.ActiveFrom, want)
	}
	states := keyStates(t, mustList(t, st, day29))
	if states[next.ID] != idp.KeyStateNext || states[first[0].ID] != idp.KeyStateSigning {
		t.Errorf("day 29 states = %v", states)
	}

	// Running again, as every node does, creates nothing more.
	if again, err := idp.MaintainSigningKeys(ctx, st, keys, p, day29.Add(time.Minute)); err != nil || again != nil {
		t.Fatalf("second run: created %v, err %v", again, err)
	}

	// At the handover the successor signs and the old key stays
	// published, retired, until the retention has passed.
	day30 := t0.Add(30 * 24 * time.Hour)
	states = keyStates(t, mustList(t, st, day30))
	if states[next.ID] != idp.KeyStateSigning || states[first[0].ID] != idp.KeyStateRetired {
		t.Errorf("day 30 states = %v", states)
	}
	if states = keyStates(t, mustList(t, st, day30.Add(7*24*time.Hour+time.Second))); len(states) != 1 {
		t.Errorf("after the retention, published keys = %v; want only the successor", states)
	}
}

func mustList(t *testing.T, st store.SigningKeys, now time.Time) []idp.KeyInfo {
	t.Helper()
	infos, err := idp.ListSigningKeys(context.Background(), st, now)
	if err != nil {
		t.Fatal(err)
	}
	return infos
}

func TestMaintainSigningKeysConcurrent(t *testing.T) {
	ctx := context.Background()
	st, keys := openStore(t), mustKeys(t)
	p := idp.KeyPolicy{Rotation: time.Hour, PublishAhead: 10 * time.Minute}
	t0 := time.Now()

	// Nodes starting together on an empty database store one key, also
	// when their clocks differ by a few milliseconds.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := idp.EnsureSigningKey(ctx, st, keys, p, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if infos := mustList(t, st, t0); len(infos) != 1 {
		t.Fatalf("%d keys after concurrent start, want 1", len(infos))
	}

	// Nodes reaching the lead time together publish one successor.
	due := t0.Add(55 * time.Minute)
	for range 4 {
		wg.Go(func() {
			if _, err := idp.MaintainSigningKeys(ctx, st, keys, p, due); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if infos := mustList(t, st, due); len(infos) != 2 {
		t.Fatalf("%d keys after concurrent rotation, want 2", len(infos))
	}
}

func TestScheduleSigningKeyNow(t *testing.T) {
	ctx := context.Background()
	st, keys := openStore(t), mustKeys(t)
	now := time.Now()
	if _, err := idp.EnsureSigningKey(ctx, st, keys, idp.KeyPolicy{}, now); err != nil {
		t.Fatal(err)
	}
	k, err := idp.ScheduleSigningKey(ctx, st, keys, idp.KeyPolicy{Algorithm: idp.AlgES256}, now, now)
	if err != nil {
		t.Fatal(err)
	}
	infos := mustList(t, st, now)
	if len(infos) != 2 {
		t.Fatalf("%d keys after an immediate rotation, want 2", len(infos))
	}
	for _, info := range infos {
		switch {
		case info.ID == k.ID && (info.State != idp.KeyStateSigning || info.Algorithm != "ES256"):
			t.Errorf("new key = %+v; want the ES256 key signing", info)
		case info.ID != k.ID && (info.State != idp.KeyStateRetired || info.ExpiresAt.IsZero()):
			t.Errorf("old key = %+v; want retired with an expiry", info)
		}
	}
}

func TestKeyPolicyValidate(t *testing.T) {
	cases := map[string]struct {
		p  idp.KeyPolicy
		ok bool
	}{
		"defaults":       {idp.KeyPolicy{}, true},
		"es256":          {idp.KeyPolicy{Algorithm: "ES256", Rotation: time.Hour, PublishAhead: time.Minute}, true},
		"unknown alg":    {idp.KeyPolicy{Algorithm: "HS256"}, false},
		"lead too long":  {idp.KeyPolicy{Rotation: time.Hour, PublishAhead: 2 * time.Hour}, false},
		"lead below min": {idp.KeyPolicy{Rotation: 8 * time.Second, PublishAhead: time.Second}, false},
	}
	for name, c := range cases {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", name, err, c.ok)
		}
	}
}

func TestES256Tokens(t *testing.T) {
	e := newEnv(t, func(c *idp.Config) { c.SigningKeys.Algorithm = idp.AlgES256 })
	r := e.webRP()
	tok := e.tokens(r)
	e.verifyIDToken(r, tok)

	raw := tok.Extra("id_token").(string)
	header, _, _ := strings.Cut(raw, ".")
	var h struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(header, &h); err != nil || h.Alg != "ES256" {
		t.Fatalf("ID token alg = %q, %v; want ES256", h.Alg, err)
	}
}
