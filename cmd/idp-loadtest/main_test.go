package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// server is an `idp serve` process started by a test or benchmark.
type server struct {
	issuer      string
	databaseURL string
	pid         int
}

// startIDP builds the idp command and serves it on databaseURL at a free
// loopback port, until the test ends.
func startIDP(tb testing.TB, databaseURL string) *server {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "idp")
	if out, err := exec.Command("go", "build", "-o", bin, "../idp").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	keyFile := filepath.Join(dir, "master.key")
	if _, _, err := secret.LoadOrCreateMasterKey(keyFile, true); err != nil {
		tb.Fatal(err)
	}
	// The issuer names the port, so pick a free one before the start.
	addr := "127.0.0.1:" + freePort(tb)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--issuer", "http://"+addr,
		"--database-url", databaseURL, "--secret-key-file", keyFile, "--log-format", "json")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "identity provider started" {
				started <- true
			}
		}
		started <- false
		io.Copy(io.Discard, stderr)
	}()
	select {
	case ok := <-started:
		if !ok {
			tb.Fatal("idp serve exited at start-up")
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("idp serve did not start within 30 s")
	}
	return &server{issuer: "http://" + addr, databaseURL: databaseURL, pid: cmd.Process.Pid}
}

func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
