package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keysCommand runs `idp keys ARGS --json` against s's database and
// decodes the output into out.
func keysCommand(t *testing.T, s *testServer, out any, args ...string) {
	t.Helper()
	var stdout, stderr strings.Builder
	args = append(append([]string{"keys"}, args...), "--json",
		"--database-url", s.app.cfg.DatabaseURL, "--secret-key-file", s.app.cfg.SecretKeyFile)
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("idp %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
		t.Fatalf("idp %s printed %q: %v", strings.Join(args[:2], " "), stdout.String(), err)
	}
}

type listedKey struct {
	KeyID      string  `json:"key_id"`
	Algorithm  string  `json:"algorithm"`
	State      string  `json:"state"`
	ActiveFrom string  `json:"active_from"`
	ExpiresAt  *string `json:"expires_at"`
}

func statesByID(keys []listedKey) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[k.KeyID] = k.State + " " + k.Algorithm
	}
	return m
}

func TestKeysRotateAndList(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))

	var keys []listedKey
	keysCommand(t, s, &keys, "list")
	if len(keys) != 1 || keys[0].State != "signing" || keys[0].Algorithm != "RS256" {
		t.Fatalf("keys at start = %+v; want one signing RS256 key", keys)
	}
	first := keys[0].KeyID

	// A scheduled rotation publishes the key before it signs.
	var next struct {
		KeyID      string `json:"key_id"`
		Algorithm  string `json:"algorithm"`
		ActiveFrom string `json:"active_from"`
	}
	keysCommand(t, s, &next, "rotate", "--signing-alg", "ES256", "--key-publish-ahead", "1h")
	activeFrom, err := time.Parse(time.RFC3339, next.ActiveFrom)
	if err != nil || next.Algorithm != "ES256" || time.Until(activeFrom) < 59*time.Minute {
		t.Fatalf("rotate = %+v (%v); want an ES256 key signing in an hour", next, err)
	}
	keysCommand(t, s, &keys, "list")
	want := map[string]string{first: "signing RS256", next.KeyID: "next ES256"}
	if got := statesByID(keys); len(got) != 2 || got[first] != want[first] || got[next.KeyID] != want[next.KeyID] {
		t.Fatalf("keys after a scheduled rotation = %v, want %v", got, want)
	}

	// --now takes over at once; the other keys stay published, retired.
	var now struct {
		KeyID string `json:"key_id"`
	}
	keysCommand(t, s, &now, "rotate", "--now")
	keysCommand(t, s, &keys, "list")
	got := statesByID(keys)
	if len(got) != 3 || got[now.KeyID] != "signing RS256" || got[first] != "retired RS256" || got[next.KeyID] != "retired ES256" {
		t.Fatalf("keys after an immediate rotation = %v", got)
	}
	for _, k := range keys {
		if k.State == "retired" && k.ExpiresAt == nil {
			t.Errorf("retired key %s has no expiry", k.KeyID)
		}
	}
}

func TestKeysUsage(t *testing.T) {
	for _, args := range [][]string{{"keys"}, {"keys", "shred"}} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("idp %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}

func TestAutomaticRotationRuns(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	s.app.cfg.ops.keyRotation = time.Hour
	s.app.cfg.ops.keyPublishAhead = 10 * time.Minute
	s.clock.Advance(51 * time.Minute) // past the hour minus the lead

	stop := s.app.runBackground(context.Background())
	defer stop()
	var keys []listedKey
	deadline := time.Now().Add(5 * time.Second)
	for len(keys) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no next key published within 5 s: %+v", keys)
		}
		time.Sleep(100 * time.Millisecond)
		keysCommand(t, s, &keys, "list")
	}
}
