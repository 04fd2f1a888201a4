// Package pgtest starts a throwaway PostgreSQL server for tests.
//
// The first call to Start in a test binary runs initdb into a temporary
// folder and starts one postgres process that listens only on a Unix socket
// in that folder, with fsync off. Every call then creates a fresh database
// and returns its URL, which is much faster than a cluster per test. Call
// Stop from TestMain after m.Run to shut the server down and delete its
// folder:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.Stop()
//		os.Exit(code)
//	}
//
// Should the test binary end without Stop, the kernel sends the server
// SIGQUIT (Linux parent-death signal), so no server outlives the binary.
// Its folder under the temporary directory stays behind until the next
// test binary that starts a server removes it.
//
// When the tests run as root, initdb and postgres run as the postgres user,
// because PostgreSQL refuses to run as root.
package pgtest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// RequireEnv names the environment variable that turns a missing
// PostgreSQL installation from a skip into a failure.
const RequireEnv = "IDP_REQUIRE_POSTGRES"

var (
	mu      sync.Mutex
	shared  *cluster
	lastErr error // the error of the last failed start, reported to every later caller
	dbCount atomic.Int64
)

// Start returns the URL of a new, empty database on the shared server,
// starting the server on first use. The database is dropped when the test
// ends. Without PostgreSQL binaries the test is skipped, or fails when
// IDP_REQUIRE_POSTGRES=1.
func Start(t testing.TB) (databaseURL string) {
	t.Helper()
	c, err := get()
	if errors.Is(err, errNoBinaries) {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("pgtest: %v (%s=1 requires PostgreSQL)", err, RequireEnv)
		}
		t.Skipf("pgtest: %v; set %s=1 to fail instead of skipping", err, RequireEnv)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbCount.Add(1))
	if err := c.createDatabase(name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.dropDatabase(name); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return c.url(name)
}

// get returns the shared cluster, starting it when there is none.
func get() (*cluster, error) {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared, nil
	}
	if lastErr != nil {
		return nil, lastErr
	}
	c, err := startCluster()
	if err != nil {
		lastErr = err
		return nil, err
	}
	shared = c
	return c, nil
}

// Stop shuts the shared server down and deletes its folder. It is safe to
// call when no server was started, and more than once; a later Start
// starts a new server.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		return
	}
	if err := shared.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
	shared = nil
}
