package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store/pgtest"
)

// enrolled starts a provider on databaseURL and enrols n accounts.
func enrolled(tb testing.TB, databaseURL string, n int) (*server, string) {
	tb.Helper()
	srv := startIDP(tb, databaseURL)
	accounts := filepath.Join(tb.TempDir(), "accounts.json")
	var out bytes.Buffer
	err := run(context.Background(), []string{"enrol", "--database-url", databaseURL, "--issuer", srv.issuer,
		"--users", itoa(n), "--out", accounts}, &out, &out)
	if err != nil {
		tb.Fatalf("enrol: %v\n%s", err, out.String())
	}
	return srv, accounts
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func runReport(t *testing.T, args ...string) report {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append(append([]string{"run"}, args...), "--json"), &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return rep
}

func TestLoadAgainstProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the provider")
	}
	srv, accounts := enrolled(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"), 8)

	rep := runReport(t, "--accounts", accounts, "--vus", "2", "--duration", "2s", "--server-pid", itoa(srv.pid))
	if rep.Flows == 0 || len(rep.Errors) != 0 {
		t.Fatalf("sign-in run: %d flows, errors %v %v", rep.Flows, rep.Errors, rep.ErrorSamples)
	}
	for _, step := range []string{stepAuthorize, stepPassword, stepTOTP, stepExchange, stepVerify} {
		if rep.Steps[step].Count != rep.Flows {
			t.Errorf("step %s timed %d times in %d flows", step, rep.Steps[step].Count, rep.Flows)
		}
	}
	if rep.ServerCPUSec <= 0 || rep.ServerPeakRSS <= 0 {
		t.Errorf("server CPU %.2f s, peak RSS %.0f MiB: want both measured", rep.ServerCPUSec, rep.ServerPeakRSS)
	}

	// The used TOTP steps were saved: a second run replays no code.
	rep = runReport(t, "--accounts", accounts, "--vus", "2", "--duration", "1s")
	if len(rep.Errors) != 0 {
		t.Fatalf("second run: errors %v %v", rep.Errors, rep.ErrorSamples)
	}

	rep = runReport(t, "--accounts", accounts, "--mode", "refresh", "--vus", "2", "--duration", "1s")
	if rep.Steps[stepRefresh].Count == 0 || len(rep.Errors) != 0 {
		t.Fatalf("refresh run: %+v", rep)
	}
}

func TestLoadAgainstExample(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr := "127.0.0.1:" + freePort(t)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"example", "--listen", addr}, &bytes.Buffer{}, &bytes.Buffer{}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("example server: %v", err)
		}
	}()
	time.Sleep(200 * time.Millisecond)

	rep := runReport(t, "--target", "example", "--issuer", "http://"+addr+"/", "--vus", "2", "--duration", "1s")
	if rep.Flows == 0 || len(rep.Errors) != 0 {
		t.Fatalf("example run: %d flows, errors %v %v", rep.Flows, rep.Errors, rep.ErrorSamples)
	}
	if _, ok := rep.Steps[stepTOTP]; ok {
		t.Error("the example has no TOTP step, but one was timed")
	}
}

func TestPoolNeverReplaysStep(t *testing.T) {
	a := &account{TOTPSecret: "JBSWY3DPEHPK3PXP", LastStep: time.Now().Unix()/totpPeriod - 5}
	p := newPool([]*account{a}, true)
	seen := map[int64]bool{}
	for range 2 { // the current step and the next
		i, err := p.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.code(i); err != nil {
			t.Fatal(err)
		}
		if seen[a.LastStep] || a.LastStep < time.Now().Unix()/totpPeriod {
			t.Fatalf("step %d handed out twice or in the past", a.LastStep)
		}
		seen[a.LastStep] = true
		p.release(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(ctx); err == nil && a.LastStep > time.Now().Unix()/totpPeriod {
		t.Fatal("an account whose next step is used was handed out")
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]float64{50: 50, 90: 90, 99: 99} {
		if got := pct(ds, p); got != want {
			t.Errorf("p%d = %v ms, want %v", p, got, want)
		}
	}
	if pct(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

// BenchmarkTokenEndpoint measures refresh grants, one after another, at
// the token endpoint of a provider process on each database: each one
// authenticates the client, rotates the refresh token in the database and
// signs a new ID token.
func BenchmarkTokenEndpoint(b *testing.B) {
	for name, dsn := range map[string]func(testing.TB) string{
		"sqlite":   func(tb testing.TB) string { return "sqlite://" + filepath.Join(tb.TempDir(), "idp.db") },
		"postgres": func(tb testing.TB) string { return pgtest.Start(tb) },
	} {
		b.Run(name, func(b *testing.B) {
			srv, accounts := enrolled(b, dsn(b), 1)
			f, err := readAccounts(accounts)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			t, err := newTarget(ctx, targetIDP, srv.issuer, f.ClientID, f.ClientSecret, f.RedirectURI, newTransport(1))
			if err != nil {
				b.Fatal(err)
			}
			p := newPool(f.Accounts, true)
			i, err := p.acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			_, tok, err := t.signIn(ctx, p, i)
			if err != nil {
				b.Fatal(err)
			}
			rt := tok.RefreshToken
			for b.Loop() {
				if rt, err = t.refresh(ctx, rt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
