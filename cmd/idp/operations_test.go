package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
)

func TestShutdownFinishesRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write([]byte("finished"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(ctx, slog.New(slog.DiscardHandler), h, ln) }()

	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	<-started
	cancel() // as SIGTERM does

	// The listener closes at once: new connections are refused while the
	// request in flight goes on.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("server stopped before the request in flight finished: %v", err)
	default:
	}

	close(release)
	if r := <-res; r.err != nil || r.body != "finished" {
		t.Fatalf("request in flight: body %q, err %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serveUntilDone: %v", err)
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key into dir.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startedAddr waits for the start-up line in a JSON log and returns its
// listen address.
func startedAddr(t *testing.T, log *syncBuffer, exited <-chan int) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		for _, line := range strings.Split(log.String(), "\n") {
			var rec struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "identity provider started" {
				return rec.Listen
			}
		}
		select {
		case code := <-exited:
			t.Fatalf("idp serve exited with %d:\n%s", code, log)
		case <-deadline:
			t.Fatalf("idp serve did not start:\n%s", log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	t.Chdir(dir) // emails go to ./data/mail
	if _, _, err := secret.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"), true); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve",
			"--database-url", "sqlite://" + filepath.Join(dir, "idp.db"),
			"--secret-key-file", filepath.Join(dir, "master.key"),
			"--issuer", "https://id.example.com",
			"--listen", "127.0.0.1:0",
			"--tls-cert", certFile, "--tls-key", keyFile,
			"--log-format", "json",
		}, io.Discard, &log)
	}()
	addr := startedAddr(t, &log, exited)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET over TLS: status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("the TLS listener answered plain HTTP with 200")
	}
	if strings.Contains(log.String(), "serving plain HTTP") {
		t.Error("warned about plain HTTP although TLS is on")
	}

	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("idp serve exited with %d after shutdown:\n%s", code, log.String())
	}
}

func TestOperationsFlagsInvalid(t *testing.T) {
	cases := map[string][]string{
		"cert without key": {"--tls-cert", "cert.pem"},
		"unknown alg":      {"--signing-alg", "HS256"},
		"bad rotation":     {"--key-rotation", "monthly"},
		"negative purge":   {"--purge-interval", "-1m"},
		"lead too long":    {"--key-rotation", "1h", "--key-publish-ahead", "2h"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), append([]string{"serve"}, args...), io.Discard, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), "invalid configuration") {
				t.Fatalf("exit %d, stderr %q: want 1 and an invalid configuration", code, stderr.String())
			}
		})
	}
}

func TestPurgeRunsOnSchedule(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "idp.db")
	s := startServer(t, "sqlite://"+dbFile)
	s.invite(t, "old@example.com")
	s.clock.Advance(8 * 24 * time.Hour) // past the invitation's 7 days

	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM invitations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() != 1 {
		t.Fatal("no invitation stored")
	}

	s.app.cfg.ops.purgeInterval = 50 * time.Millisecond
	stop := s.app.runBackground(context.Background())
	defer stop()
	deadline := time.Now().Add(5 * time.Second)
	for count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the expired invitation was not purged within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
