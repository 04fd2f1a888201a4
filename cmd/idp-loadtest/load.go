package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// drainTimeout bounds how long flows that started before the end of a run
// may take to finish.
const drainTimeout = 60 * time.Second

// loadSettings are the flags of the run command.
type loadSettings struct {
	target, mode, issuer, accountsPath string
	clientID, clientSecret, redirect   string
	username, password                 string
	vus, serverPID                     int
	duration                           time.Duration
	json, forwarded                    bool
}

func parseLoadFlags(args []string, stderr io.Writer) (*loadSettings, error) {
	s := &loadSettings{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.target, "target", targetIDP, "server kind: idp (this provider, password and TOTP) or example (zitadel/oidc example, password only)")
	fs.StringVar(&s.mode, "mode", "signin", "signin: complete sign-ins; refresh: one sign-in per virtual user, then refresh grants only")
	fs.StringVar(&s.issuer, "issuer", "", "issuer URL; for idp it defaults to the one in --accounts")
	fs.StringVar(&s.accountsPath, "accounts", "accounts.json", "accounts file written by enrol (target idp); their last used TOTP steps are written back")
	fs.StringVar(&s.clientID, "client-id", "web", "client ID (target example)")
	fs.StringVar(&s.clientSecret, "client-secret", "secret", "client secret (target example)")
	fs.StringVar(&s.redirect, "redirect-uri", enrolRedirectURI, "redirect URI (target example)")
	fs.StringVar(&s.username, "username", "test-user@127.0.0.1", "user name (target example)")
	fs.StringVar(&s.password, "password", "verysecure", "password (target example)")
	fs.IntVar(&s.vus, "vus", 1, "concurrent virtual users")
	fs.DurationVar(&s.duration, "duration", 15*time.Second, "how long to start new flows")
	fs.IntVar(&s.serverPID, "server-pid", 0, "process ID of the server, to report its CPU time and peak memory (Linux)")
	fs.BoolVar(&s.json, "json", false, "print the report as JSON")
	fs.BoolVar(&s.forwarded, "forwarded-for", false, "send each account's sign-ins with its own X-Forwarded-For address from 198.18.0.0/15; the provider must list 127.0.0.1 in --trusted-proxies. Without it every sign-in comes from 127.0.0.1, whose throttling allows 100 unfinished or failed attempts per 10 minutes")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case s.target != targetIDP && s.target != targetExample:
		return nil, fmt.Errorf("--target %q: want idp or example", s.target)
	case s.mode != "signin" && s.mode != "refresh":
		return nil, fmt.Errorf("--mode %q: want signin or refresh", s.mode)
	case s.vus < 1 || s.duration <= 0:
		return nil, errors.New("--vus and --duration must be positive")
	case s.serverPID < 0:
		return nil, fmt.Errorf("--server-pid %d: want the process ID of the running server", s.serverPID)
	}
	if s.serverPID > 0 {
		if _, err := processCPU(s.serverPID); err != nil {
			return nil, fmt.Errorf("--server-pid %d: cannot read the process's CPU time (is the server running on this Linux machine?): %w", s.serverPID, err)
		}
	}
	return s, nil
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseLoadFlags(args, stderr)
	if err != nil {
		return err
	}
	accounts, file, err := s.accounts()
	if err != nil {
		return err
	}
	t, err := newTarget(ctx, s.target, s.issuer, s.clientID, s.clientSecret, s.redirect, newTransport(s.vus))
	if err != nil {
		return err
	}
	t.forwarded = s.forwarded
	p := newPool(accounts, s.target == targetIDP)
	var refreshTokens []string
	if s.mode == "refresh" {
		if refreshTokens, err = signInEach(ctx, t, p, s.vus); err != nil {
			return err
		}
	}

	cpuBefore := s.serverCPU()
	rec := newRecorder()
	start := time.Now()
	deadline := start.Add(s.duration)
	flowCtx, cancel := context.WithTimeout(ctx, s.duration+drainTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for vu := range s.vus {
		wg.Go(func() {
			if s.mode == "refresh" {
				refreshLoop(flowCtx, t, refreshTokens[vu], rec, deadline)
				return
			}
			signInLoop(flowCtx, t, p, rec, deadline)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	rep := rec.report(elapsed)
	rep.Target, rep.Mode, rep.VUs, rep.AccountWaits = s.target, s.mode, s.vus, p.waits
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		rep.LoadAverage = strings.TrimSpace(string(b))
	}
	s.addServerStats(&rep, cpuBefore)
	if file != nil {
		if err := writeAccounts(s.accountsPath, file); err != nil {
			return fmt.Errorf("save used TOTP steps: %w", err)
		}
	}
	if s.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// accounts returns the accounts to sign in with and, for the idp target,
// the file they came from, which the caller writes back.
func (s *loadSettings) accounts() ([]*account, *accountsFile, error) {
	if s.target == targetExample {
		if s.issuer == "" {
			return nil, nil, errors.New("--issuer is required for --target example")
		}
		// The example has one user with a plain-text password and no
		// second factor, so every virtual user may sign in as it at once.
		accounts := make([]*account, s.vus)
		for i := range accounts {
			accounts[i] = &account{Email: s.username, Password: s.password}
		}
		return accounts, nil, nil
	}
	f, err := readAccounts(s.accountsPath)
	if err != nil {
		return nil, nil, err
	}
	if s.issuer == "" {
		s.issuer = f.Issuer
	}
	s.clientID, s.clientSecret, s.redirect = f.ClientID, f.ClientSecret, f.RedirectURI
	return f.Accounts, f, nil
}

func signInLoop(ctx context.Context, t *target, p *pool, rec *recorder, deadline time.Time) {
	// No flow starts after the deadline, also not one waiting for an
	// account.
	starting, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for time.Now().Before(deadline) {
		i, err := p.acquire(starting)
		if err != nil {
			return
		}
		rec.begin()
		tm, _, err := t.signIn(ctx, p, i)
		p.release(i)
		rec.flow(tm, err)
	}
}

// signInEach signs in once per virtual user, before the measurement, and
// returns the refresh tokens.
func signInEach(ctx context.Context, t *target, p *pool, vus int) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tokens := make([]string, vus)
	errs := make([]error, vus)
	var wg sync.WaitGroup
	for vu := range vus {
		wg.Go(func() {
			i, err := p.acquire(ctx)
			if err != nil {
				errs[vu] = fmt.Errorf("wait for a usable account: %w", err)
				return
			}
			_, tok, err := t.signIn(ctx, p, i)
			p.release(i)
			if err != nil {
				errs[vu] = err
				return
			}
			tokens[vu] = tok.RefreshToken
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sign in before the refresh run: %w", err)
	}
	return tokens, nil
}

// refreshLoop redeems refresh tokens one after the other, each a flow of
// one step, until the deadline or the first error.
func refreshLoop(ctx context.Context, t *target, rt string, rec *recorder, deadline time.Time) {
	for time.Now().Before(deadline) {
		tm := timings{}
		rec.begin()
		err := timed(tm, stepRefresh, func() (err error) {
			next, err := t.refresh(ctx, rt)
			if err == nil {
				rt = next
			}
			return err
		})
		rec.flow(tm, err)
		if err != nil {
			return
		}
	}
}

// serverCPU returns the server's CPU seconds so far, or 0 without
// --server-pid.
func (s *loadSettings) serverCPU() float64 {
	if s.serverPID == 0 {
		return 0
	}
	c, err := processCPU(s.serverPID)
	if err != nil {
		return 0
	}
	return c
}

func (s *loadSettings) addServerStats(rep *report, cpuBefore float64) {
	if s.serverPID == 0 {
		return
	}
	rep.ServerCPUSec = s.serverCPU() - cpuBefore
	if rep.Flows > 0 {
		rep.CPUPerFlowMS = rep.ServerCPUSec * 1000 / float64(rep.Flows)
	}
	rep.ServerPeakRSS, _ = peakRSS(s.serverPID)
}
