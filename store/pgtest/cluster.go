package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver
)

// errNoBinaries reports that initdb or postgres is not installed.
var errNoBinaries = errors.New("PostgreSQL binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin: install the Debian package postgresql")

const (
	folderPrefix = "pgtest-"
	ownerFile    = "owner.pid" // the test binary's process ID, for removeStale
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	superuser    = "postgres"
)

// cluster is one running postgres process and its folder.
type cluster struct {
	dir     string // holds data/, the socket and postgres.log
	socket  string
	process *os.Process
	exited  chan struct{} // closed when the process has exited
	admin   *sql.DB       // connected to the postgres database
}

// startCluster runs initdb and starts postgres, waiting until it accepts
// connections.
func startCluster() (*cluster, error) {
	initdb, postgres, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}

	removeStale()
	dir, err := os.MkdirTemp("", folderPrefix)
	if err != nil {
		return nil, fmt.Errorf("create folder: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create folder: %w", err)
	}
	c := &cluster{dir: dir, socket: filepath.Join(dir, "sock")}
	if err := c.prepare(initdb, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.launch(postgres, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.waitReady(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// findBinaries looks in PATH first, then in the newest Debian versioned
// folder.
func findBinaries() (initdb, postgres string, err error) {
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return initdb, postgres, nil
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		initdb, postgres = filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if isFile(initdb) && isFile(postgres) {
			return initdb, postgres, nil
		}
	}
	return "", "", errNoBinaries
}

// versionOf returns the major version in /usr/lib/postgresql/VERSION/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// credential returns the postgres user's credential when this process runs
// as root, and nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(superuser)
	if err != nil {
		return nil, fmt.Errorf("running as root needs a %q user to run PostgreSQL: %w", superuser, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %q has a non-numeric uid or gid", superuser)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// prepare creates the socket folder and runs initdb, handing the folder to
// the postgres user first when running as root.
func (c *cluster) prepare(initdb string, cred *syscall.Credential) error {
	if err := os.Mkdir(c.socket, 0o700); err != nil {
		return fmt.Errorf("create socket folder: %w", err)
	}
	if cred != nil {
		for _, p := range []string{c.dir, c.socket} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("hand folder to %s: %w", superuser, err)
			}
		}
	}

	cmd := exec.Command(initdb, "--pgdata", filepath.Join(c.dir, "data"), "--username", superuser,
		"--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// launch starts postgres. The process gets SIGQUIT when the thread that
// started it dies, so the thread is locked and kept until the process
// exits: Go never ends a locked thread whose goroutine is still running.
func (c *cluster) launch(postgres string, cred *syscall.Credential) error {
	logFile, err := os.Create(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}

	cmd := exec.Command(postgres, "-D", filepath.Join(c.dir, "data"),
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+c.socket,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=300",
		"-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}

	started := make(chan error, 1)
	c.exited = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer logFile.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			close(c.exited)
			return
		}
		c.process = cmd.Process
		started <- nil
		cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	return nil
}

// waitReady pings the server until it accepts connections, the process
// exits or startTimeout passes.
func (c *cluster) waitReady() error {
	db, err := sql.Open("postgres", c.url(superuser))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			c.admin = db
			return nil
		}
		select {
		case <-c.exited:
			db.Close()
			return fmt.Errorf("postgres exited during start-up: %s", c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			db.Close()
			return fmt.Errorf("postgres not ready after %v: %w: %s", startTimeout, err, c.logTail())
		}
	}
}

// logTail returns the end of the server log, for error messages.
func (c *cluster) logTail() string {
	data, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	s := strings.TrimSpace(string(data))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// url returns the lib/pq URL of database name over the Unix socket.
func (c *cluster) url(name string) string {
	q := url.Values{"host": {c.socket}, "user": {superuser}, "sslmode": {"disable"}}
	return "postgres:///" + name + "?" + q.Encode()
}

func (c *cluster) createDatabase(name string) error {
	if _, err := c.admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// dropDatabase drops name, closing connections that tests left open.
func (c *cluster) dropDatabase(name string) error {
	if _, err := c.admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// stop sends postgres SIGINT (fast shutdown), kills it when it has not
// exited after stopTimeout, and deletes the folder.
func (c *cluster) stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	var err error
	if c.process != nil {
		_ = c.process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(stopTimeout):
			// Kill the whole process group, backends included.
			_ = syscall.Kill(-c.process.Pid, syscall.SIGKILL)
			<-c.exited
			err = fmt.Errorf("postgres ignored SIGINT for %v and was killed", stopTimeout)
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// removeStale deletes the folders of earlier test binaries that ended
// without calling Stop.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), folderPrefix+"*"))
	for _, dir := range dirs {
		if isStale(dir) {
			os.RemoveAll(dir)
		}
	}
}

// isStale reports whether no live process uses dir: neither a server
// (data/postmaster.pid) nor the test binary named in the owner file. A
// folder without an owner file counts as stale only after a minute,
// because its owner may be about to write it.
func isStale(dir string) bool {
	server, err := readPID(filepath.Join(dir, "data", "postmaster.pid"))
	if err == nil && alive(server) || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	owner, err := readPID(filepath.Join(dir, ownerFile))
	if err == nil {
		return !alive(owner)
	}
	info, err := os.Stat(dir)
	return err == nil && time.Since(info.ModTime()) > time.Minute
}

// readPID reads the process ID on the first line of path.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no process ID", path)
	}
	return pid, nil
}

func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
