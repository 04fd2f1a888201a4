package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp/secret"
)

// buildIDP compiles this command into dir and returns the binary's path.
func buildIDP(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "idp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cluster is two `idp serve` processes on one database behind a load
// balancer whose address is the issuer. The test chooses the node that
// the balancer forwards to.
type cluster struct {
	t           *testing.T
	bin         string
	dir         string // working directory of every process, so ./data/mail is shared
	env         []string
	databaseURL string
	issuer      string
	lb          *balancer
	nodes       [2]*node
}

// node is one running `idp serve` process.
type node struct {
	name string
	url  string // http://127.0.0.1:PORT, the node's own listener
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{} // closed when the process has exited
}

// startCluster builds the binary and starts two nodes on databaseURL with
// one shared master key, both at once, as a rolling deployment would.
func startCluster(t *testing.T, databaseURL string, extraFlags ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if _, _, err := secret.LoadOrCreateMasterKey(keyFile, true); err != nil {
		t.Fatal(err)
	}
	lb := newBalancer(t)
	c := &cluster{
		t:           t,
		bin:         buildIDP(t, dir),
		dir:         dir,
		databaseURL: databaseURL,
		issuer:      lb.url,
		lb:          lb,
		env: append(os.Environ(),
			"IDP_DATABASE_URL="+databaseURL,
			"IDP_ISSUER="+lb.url,
			"IDP_SECRET_KEY_FILE="+keyFile,
			"IDP_LOG_FORMAT=json",
		),
	}

	var wg sync.WaitGroup
	for i, name := range []string{"a", "b"} {
		wg.Go(func() { c.nodes[i] = c.startNode(name, extraFlags) })
	}
	wg.Wait()
	for _, n := range c.nodes {
		if n == nil {
			t.FailNow()
		}
	}
	lb.use(c.nodes[0])
	return c
}

// startNode runs `idp serve` on a free loopback port and waits for its
// start-up log line. It reports failures with t.Error, because it runs in
// its own goroutine, and returns nil then.
func (c *cluster) startNode(name string, extraFlags []string) *node {
	args := append([]string{"serve", "--listen", "127.0.0.1:0"}, extraFlags...)
	cmd := exec.Command(c.bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Error(err)
		return nil
	}
	n := &node{name: name, cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		c.t.Errorf("start node %s: %v", name, err)
		return nil
	}
	c.t.Cleanup(func() { n.stop(c.t) })

	listen := make(chan string, 1)
	go n.readLog(stderr, listen)
	select {
	case addr := <-listen:
		n.url = "http://" + addr
		return n
	case <-n.done:
		c.t.Errorf("node %s exited at start-up:\n%s", name, n.log)
	case <-time.After(30 * time.Second):
		c.t.Errorf("node %s did not start within 30 s:\n%s", name, n.log)
	}
	return nil
}

// readLog copies the node's log into n.log and sends the listen address
// of the start-up line to listen.
func (n *node) readLog(r io.Reader, listen chan<- string) {
	defer close(n.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		n.log.Write(append(line, '\n'))
		var rec struct {
			Msg    string `json:"msg"`
			Listen string `json:"listen"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "identity provider started" {
			select {
			case listen <- rec.Listen:
			default:
			}
		}
	}
	n.cmd.Wait()
}

// stop sends SIGTERM and waits for a graceful exit.
func (n *node) stop(t *testing.T) {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(25 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
		t.Errorf("node %s did not stop within 25 s of SIGTERM", n.name)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("log of node %s:\n%s", n.name, n.log)
	}
}

// idp runs a subcommand of the binary against the cluster's database and
// returns its standard output.
func (c *cluster) idp(args ...string) []byte {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("idp %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// invite invites a user with the command line and returns the link.
func (c *cluster) invite(email string) string {
	c.t.Helper()
	var res struct {
		InvitationURL string `json:"invitation_url"`
	}
	out := c.idp("user", "invite", "--email", email, "--name", "Test User", "--json")
	if err := json.Unmarshal(out, &res); err != nil || res.InvitationURL == "" {
		c.t.Fatalf("idp user invite printed %q: %v", out, err)
	}
	return res.InvitationURL
}

// relyingParty registers a confidential web client with the command line
// and returns a relying party that discovers the provider through the
// load balancer.
func (c *cluster) relyingParty() *relyingParty {
	c.t.Helper()
	redirect := "http://127.0.0.1:9/callback"
	var res struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	out := c.idp("client", "create", "--name", "Cluster test", "--type", "web", "--redirect-uri", redirect, "--json")
	if err := json.Unmarshal(out, &res); err != nil || res.ClientID == "" {
		c.t.Fatalf("idp client create printed %q: %v", out, err)
	}
	p, err := oidc.NewProvider(context.Background(), c.issuer)
	if err != nil {
		c.t.Fatal(err)
	}
	return &relyingParty{
		provider: p,
		config: oauth2.Config{
			ClientID:     res.ClientID,
			ClientSecret: res.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  redirect,
			Scopes:       []string{oidc.ScopeOpenID, "email", oidc.ScopeOfflineAccess},
		},
		verifier: p.Verifier(&oidc.Config{ClientID: res.ClientID}),
	}
}

// verifierOf returns an ID token verifier that fetches keys from n's own
// /keys endpoint, not through the load balancer.
func (c *cluster) verifierOf(n *node, clientID string) *oidc.IDTokenVerifier {
	ks := oidc.NewRemoteKeySet(context.Background(), n.url+"/keys")
	return oidc.NewVerifier(c.issuer, ks, &oidc.Config{ClientID: clientID})
}

// balancer is a reverse proxy that forwards every request to the node
// chosen last with use.
type balancer struct {
	url    string
	target atomic.Pointer[url.URL]
}

func newBalancer(t *testing.T) *balancer {
	b := &balancer{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(b.target.Load())
			r.Out.Host = r.In.Host
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b.target.Load() == nil {
			http.Error(w, "no node yet", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// use sends the following requests to n.
func (b *balancer) use(n *node) {
	u, err := url.Parse(n.url)
	if err != nil {
		panic(fmt.Sprintf("node URL %q: %v", n.url, err))
	}
	b.target.Store(u)
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
