package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// scrape returns the /metrics page of s.
func (s *testServer) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: status %d", resp.StatusCode)
	}
	return string(body)
}

func wantMetric(t *testing.T, page, line string) {
	t.Helper()
	if !strings.Contains(page, line) {
		t.Errorf("/metrics lacks %q", line)
	}
}

func TestMetricsAfterSignIn(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	enrol(t, s, rp, "mia@example.com")

	b := newBrowser(t, s.url)
	p := b.get(rp.start().url)
	for range 6 {
		p = b.submit(p, map[string]string{"email": "mia@example.com", "password": "not the password"})
	}

	page := s.scrape(t)
	for _, line := range []string{
		`idp_sign_ins_total{method="totp_activation",result="success"} 1`,
		`idp_sign_ins_total{method="password",result="failure"} 5`,
		`idp_sign_ins_total{method="password",result="throttled"} 1`,
		`idp_throttled_attempts_total{step="password"} 1`,
		`idp_second_factor_activations_total{method="totp"} 1`,
		`idp_tokens_issued_total{grant_type="authorization_code"} 1`,
		`idp_http_request_duration_seconds_count{code="200",method="POST",route="/oauth/token"} 1`,
		`idp_db_connections_open{pool="write"}`,
		`idp_outbox_pending_emails`,
		`idp_go_goroutines`,
	} {
		wantMetric(t, page, line)
	}
	for _, line := range strings.Split(page, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "idp_") {
			t.Errorf("metric without the idp_ prefix: %s", line)
		}
	}
	if strings.Contains(page, "mia@example.com") {
		t.Error("/metrics shows an email address")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, resp.StatusCode)
		}
	}

	// A closed database makes the node unready but still healthy.
	s.app.store.Close()
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s with the database closed: status %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestRequestIDInLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(requestIDHandler{slog.NewJSONHandler(&buf, nil)})
	h := withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.With("component", "test").InfoContext(r.Context(), "handled")
	}))

	cases := map[string]bool{ // incoming header: kept
		"":                      false,
		"lb-1234.abc_DEF":       true,
		"bad id with spaces":    false,
		"x\nforged=log":         false,
		strings.Repeat("a", 65): false,
	}
	for incoming, kept := range cases {
		buf.Reset()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if incoming != "" {
			req.Header.Set(requestIDHeader, incoming)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		id := rec.Header().Get(requestIDHeader)
		if !plainID(id) || (kept && id != incoming) || (!kept && id == incoming) {
			t.Errorf("incoming %q: response ID %q", incoming, id)
		}
		var rec2 struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(buf.Bytes(), &rec2); err != nil || rec2.RequestID != id {
			t.Errorf("incoming %q: log line %q lacks request_id %q", incoming, buf.String(), id)
		}
	}
}
