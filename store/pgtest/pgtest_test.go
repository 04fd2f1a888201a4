package pgtest

import (
	"database/sql"
	"os"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

func TestStartFreshDatabases(t *testing.T) {
	first, second := Start(t), Start(t)
	if first == second {
		t.Fatalf("two Start calls returned the same URL %q", first)
	}

	a, err := sql.Open("postgres", first)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Exec(`CREATE TABLE marker (id INT)`); err != nil {
		t.Fatalf("create table: %v", err)
	}

	b, err := sql.Open("postgres", second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var n int
	if err := b.QueryRow(`SELECT COUNT(*) FROM pg_tables WHERE tablename = 'marker'`).Scan(&n); err != nil {
		t.Fatalf("query second database: %v", err)
	}
	if n != 0 {
		t.Error("a table created in one database is visible in another")
	}
}

func TestStopEndsServer(t *testing.T) {
	Start(t)
	c, err := get()
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := c.process.Pid, c.dir

	Stop()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("postgres (pid %d) still runs after Stop", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still exists after Stop: %v", dir, err)
	}

	// A later Start brings up a new server.
	if url := Start(t); url == "" {
		t.Error("Start after Stop returned an empty URL")
	}
}
