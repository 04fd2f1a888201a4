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
	out, code = runCLI(t, s, "client", "grant", "--client-id", id, "--grant", "view_audit@*", "--json")
	var granted struct {
		ClientID string `json:"client_id"`
		Grants   []struct {
			Permission string `json:"permission"`
			PropertyID string `json:"property_id"`
		} `json:"grants"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &granted) != nil {
		t.Fatalf("client grant --json: exit %d, output %q", code, out)
	}
	if granted.ClientID != id || len(granted.Grants) != 1 || granted.Grants[0].Permission != "view_audit" || granted.Grants[0].PropertyID != "*" {
		t.Errorf("client grant --json = %+v, want the client with view_audit@*", granted)
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
