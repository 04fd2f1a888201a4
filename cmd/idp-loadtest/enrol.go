package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pquerna/otp"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// enrolRedirectURI is the relying party's redirect URI. Nothing listens
// there: the load generator reads the code from the redirect.
const enrolRedirectURI = "http://127.0.0.1:9/callback"

func runEnrol(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enrol", flag.ContinueOnError)
	fs.SetOutput(stderr)
	databaseURL := fs.String("database-url", "", "database of the running provider, as given to idp serve")
	issuer := fs.String("issuer", "http://127.0.0.1:8080", "issuer of the running provider")
	users := fs.Int("users", 100, "number of accounts to create")
	concurrency := fs.Int("concurrency", 4, "enrolments running at once")
	out := fs.String("out", "accounts.json", "file to write the accounts and client to (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *databaseURL == "":
		return errors.New("enrol: --database-url is missing: give the database of the running provider, as given to idp serve")
	case *users < 1:
		return fmt.Errorf("enrol: --users %d: must be at least 1", *users)
	case *concurrency < 1:
		return fmt.Errorf("enrol: --concurrency %d: must be at least 1", *concurrency)
	}

	f, links, err := invite(ctx, *databaseURL, *issuer, *users)
	if err != nil {
		return err
	}
	transport := newTransport(*concurrency)
	t, err := newTarget(ctx, targetIDP, *issuer, f.ClientID, f.ClientSecret, f.RedirectURI, transport)
	if err != nil {
		return err
	}

	start := time.Now()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		slots = make(chan struct{}, *concurrency)
	)
	for i, a := range f.Accounts {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := t.enrol(ctx, a, links[i]); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("enrol %s: %w", a.Email, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := writeAccounts(*out, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled %d accounts in %.1f s; wrote %s\n", len(f.Accounts), time.Since(start).Seconds(), *out)
	return nil
}

// invite registers a web client and invites users directly in the
// database, as `idp client create` and `idp user invite` do, and returns
// the accounts (without TOTP secrets yet) and their invitation links.
func invite(ctx context.Context, databaseURL, issuer string, n int) (*accountsFile, []string, error) {
	st, err := sqlstore.Open(ctx, databaseURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()

	now := time.Now()
	c, clientSecret, err := idp.RegisterClient(ctx, st, idp.ClientSpec{
		Name: "Load test", Type: "web", RedirectURIs: []string{enrolRedirectURI},
	}, now)
	if err != nil {
		return nil, nil, fmt.Errorf("register client: %w", err)
	}
	f := &accountsFile{Issuer: issuer, ClientID: c.ID, ClientSecret: clientSecret, RedirectURI: enrolRedirectURI}
	run := secret.ID()[:8]
	links := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("load-%s-%d@example.com", run, i)
		_, links[i], err = login.InviteUser(ctx, st, issuer, login.Invite{Email: email, Name: "Load Test", Locale: "en"}, now)
		if err != nil {
			return nil, nil, err
		}
		f.Accounts = append(f.Accounts, &account{Email: email, Password: "load test " + secret.Token()})
	}
	return f, links, nil
}

// enrol accepts the invitation, signs in, activates the authenticator
// app, confirms the recovery codes and redeems the code: the first
// journey of a new user, through the real pages.
func (t *target) enrol(ctx context.Context, a *account, link string) error {
	b := newBrowser(t.transport, t.issuer, "")
	p, err := b.get(ctx, link)
	if err != nil {
		return err
	}
	if _, err := b.submit(ctx, p, map[string]string{"password": a.Password, "password_confirm": a.Password, "accept_terms": "on"}); err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}

	r := t.newAuthRequest()
	if p, err = b.get(ctx, r.url); err != nil {
		return err
	}
	if p, err = b.submit(ctx, p, map[string]string{"email": a.Email, "password": a.Password}); err != nil {
		return fmt.Errorf("password: %w", err)
	}
	if p.has("method") {
		if p, err = b.submit(ctx, p, map[string]string{"method": "totp"}); err != nil {
			return fmt.Errorf("choose method: %w", err)
		}
	}
	key, err := otp.NewKeyFromURL(p.linkWithPrefix("otpauth://totp/"))
	if err != nil {
		return fmt.Errorf("activation page has no otpauth link: %w", err)
	}
	a.TOTPSecret = key.Secret()
	a.LastStep = time.Now().Unix() / totpPeriod
	code, err := totpCode(a.TOTPSecret, a.LastStep)
	if err != nil {
		return err
	}
	if p, err = b.submit(ctx, p, map[string]string{"code": code, "password": a.Password}); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	if len(p.listItems("recovery-codes")) == 0 {
		return fmt.Errorf("no recovery codes after activation (status %d at %s)", p.status, p.url.Path)
	}
	if p, err = b.submit(ctx, p, map[string]string{}); err != nil {
		return fmt.Errorf("confirm recovery codes: %w", err)
	}
	tok, err := t.exchange(ctx, p, r)
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	return t.verify(ctx, tok, r.nonce)
}

// newTransport returns a transport that keeps up to conns idle
// connections to the provider, like a load balancer's pool.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
}
