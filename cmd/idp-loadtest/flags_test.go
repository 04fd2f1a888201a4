package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestRunFlagsInvalid(t *testing.T) {
	cases := map[string][]string{
		"no users":         {"--vus", "0"},
		"negative time":    {"--duration", "-1s"},
		"unknown mode":     {"--mode", "implicit"},
		"unknown target":   {"--target", "keycloak"},
		"negative pid":     {"--server-pid", "-3"},
		"pid not running":  {"--server-pid", "999999999"},
		"unknown flag":     {"--users", "5"},
		"vus not a number": {"--vus", "many"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := parseLoadFlags(args, io.Discard); err == nil {
				t.Fatalf("parseLoadFlags(%q) = nil error", args)
			}
		})
	}
}

func TestCeilingsDurationInvalid(t *testing.T) {
	for _, d := range []string{"0s", "-1s"} {
		var out strings.Builder
		err := runCeilings(context.Background(), []string{"--duration", d, "--json"}, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "positive") {
			t.Errorf("ceilings --duration %s: err = %v, want a message that it must be positive", d, err)
		}
		if out.Len() != 0 {
			t.Errorf("ceilings --duration %s printed %q", d, out.String())
		}
	}
}

func TestEnrolFlagsInvalid(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"no database":    {[]string{"--users", "2"}, "--database-url is missing"},
		"no users":       {[]string{"--database-url", "sqlite://x.db", "--users", "0"}, "--users 0"},
		"no concurrency": {[]string{"--database-url", "sqlite://x.db", "--concurrency", "-1"}, "--concurrency -1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := runEnrol(context.Background(), c.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("enrol %q: err = %v, want it to name %q", c.args, err, c.want)
			}
		})
	}
}
