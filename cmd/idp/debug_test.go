package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDebugListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:6060", "[::1]:0", "localhost:6060"} {
		if err := validateDebugListen(addr); err != nil {
			t.Errorf("validateDebugListen(%q) = %v, want nil", addr, err)
		}
	}
	for _, addr := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "10.0.0.5:6060", "example.com:6060", "6060", "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1:http"} {
		if err := validateDebugListen(addr); err == nil {
			t.Errorf("validateDebugListen(%q) = nil, want an error", addr)
		}
	}
	var stderr strings.Builder
	code := run(context.Background(), []string{"serve", "--debug-listen", "0.0.0.0:6060"}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "loopback") {
		t.Errorf("serve --debug-listen 0.0.0.0:6060: exit %d, stderr %q", code, stderr.String())
	}
}

func TestDebugListenServesProfiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs strings.Builder
	stop, err := startDebug(ctx, slog.New(slog.NewTextHandler(&logs, nil)), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	_, addr, _ := strings.Cut(logs.String(), "debug_listen=")
	addr = strings.TrimSpace(addr)
	if addr == "" {
		t.Fatalf("no address logged: %q", logs.String())
	}

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("goroutine profile: %d %.200q", resp.StatusCode, body)
	}

	// Nothing but the profiles is served there.
	resp, err = client.Get("http://" + addr + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("discovery on the debug listener = %d, want 404", resp.StatusCode)
	}
}
