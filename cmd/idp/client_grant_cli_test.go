package main

import (
	"context"
	"encoding/json"
	"testing"
)

// TestClientGrantCLI refuses `client grant` without --grant, which would
// remove every grant, and removes them only with an explicit --clear.
func TestClientGrantCLI(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	out, code := runCLI(t, s, "client", "create", "--name", "Grants app", "--type", "web", "--redirect-uri", "http://127.0.0.1:9/cb", "--json")
	var c map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("client create: %d %s", code, out)
	}
	id := c["client_id"]
	if _, code := runCLI(t, s, "client", "grant", "--client-id", id, "--grant", "view_audit@*"); code != 0 {
		t.Fatalf("client grant: exit %d", code)
	}
	count := func() int {
		t.Helper()
		gs, err := s.app.store.ClientGrants(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(gs)
	}

	for _, args := range [][]string{
		{"client", "grant", "--client-id", id},
		{"client", "grant", "--client-id", id, "--clear", "--grant", "view_audit@*"},
	} {
		if _, code := runCLI(t, s, args...); code == 0 {
			t.Errorf("idp %v succeeded, want a usage error", args[2:])
		}
		if n := count(); n != 1 {
			t.Errorf("idp %v left %d grants, want 1", args[2:], n)
		}
	}
	if _, code := runCLI(t, s, "client", "grant", "--client-id", id, "--clear"); code != 0 {
		t.Fatalf("client grant --clear: exit %d", code)
	}
	if n := count(); n != 0 {
		t.Errorf("after --clear: %d grants, want none", n)
	}
}
