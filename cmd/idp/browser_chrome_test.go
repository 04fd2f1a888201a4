package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/hotelsoft/idp/idp"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds one browser step. It is generous because CI machines
// are slow.
const stepTimeout = 30 * time.Second

// requireBrowser reports whether a missing browser or axe-core fails the
// test instead of skipping it, as in CI.
func requireBrowser() bool { return os.Getenv("IDP_REQUIRE_BROWSER") == "1" }

// chrome is one headless Chromium process for one test.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// newChrome starts Chromium with an empty profile. It skips the test when
// Chromium is not installed, unless IDP_REQUIRE_BROWSER=1.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if requireBrowser() {
			t.Fatalf("Chromium is required (IDP_REQUIRE_BROWSER=1) but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("browser tests need Chromium at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &chrome{t: t, ctx: ctx}
}

// tab opens a tab in a new browser context: its own cookies, like a
// browser on another computer.
func (c *chrome) tab() *tab {
	c.t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		c.t.Fatalf("open tab: %v", err)
	}
	c.t.Cleanup(cancel)
	return &tab{t: c.t, ctx: ctx}
}

// sibling opens another tab that shares the cookies of b, as a link
// opened from an email does.
func (b *tab) sibling() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		b.t.Fatalf("open tab: %v", err)
	}
	b.t.Cleanup(cancel)
	return &tab{t: b.t, ctx: ctx, lang: b.lang}
}

// tab is one browser tab that a test drives like a user.
type tab struct {
	t    *testing.T
	ctx  context.Context
	lang string // the language set with setLanguage, or "" for English
}

// do runs actions with the step timeout and fails the test on an error.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s (at %s): %v", what, b.location(), err)
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](b *tab, expression string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %.60q (at %s): %v", expression, b.location(), err)
	}
	return v
}

// location is the URL of the tab, for messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// open navigates to rawURL and waits for the page to load.
func (b *tab) open(rawURL string) {
	b.t.Helper()
	b.do("open "+rawURL, chromedp.Navigate(rawURL))
}

// setLanguage makes the tab send Accept-Language: lang, as a browser set
// to that language does.
func (b *tab) setLanguage(lang string) {
	b.t.Helper()
	b.lang = lang
	b.do("set language", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	}))
}

// fill types value into the field that matches the CSS selector.
func (b *tab) fill(selector, value string) {
	b.t.Helper()
	b.do("fill "+selector, chromedp.SendKeys(chromedp.CSS(selector), value))
}

// click clicks the element and waits until the next page has loaded.
func (b *tab) click(selector string) {
	b.t.Helper()
	b.do("mark page", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.__idpOld = true`)(ctx, t)
		return err
	}))
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
	b.waitNewPage()
}

// waitNewPage waits until the document marked by click is replaced and the
// new one has loaded.
func (b *tab) waitNewPage() {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__idpOld && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("no new page after the click (at %s)", b.location())
}

// waitGone waits until a completely loaded page has no element matching
// the selector, across reloads, and reports whether that happened within
// timeout.
func (b *tab) waitGone(selector string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		gone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`document.readyState === "complete" && document.querySelector(%q) === null`, selector)))
		cancel()
		if err == nil && gone {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

// text returns the visible text of the element matching the selector.
func (b *tab) text(selector string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, selector))
}

// has reports whether an element matches the selector.
func (b *tab) has(selector string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, selector))
}

// attr returns an attribute of the first element matching the selector.
func (b *tab) attr(selector, name string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, selector, name))
}

// path is the path of the tab's URL.
func (b *tab) path() string {
	u, err := url.Parse(b.location())
	if err != nil {
		return ""
	}
	return u.Path
}

// see fails the test unless the page heading contains want: the tests
// assert what the user reads, in English. In another language it only
// requires a heading.
func (b *tab) see(want string) {
	b.t.Helper()
	if b.lang != "" && b.lang != "en" {
		want = ""
	}
	if got := b.text("h1"); got == "" || !strings.Contains(got, want) {
		b.t.Fatalf("heading %q, want %q (at %s); page text:\n%s", got, want, b.location(), b.text("main"))
	}
}

// seeText fails the test unless the main text contains want.
func (b *tab) seeText(want string) {
	b.t.Helper()
	if got := b.text("body"); !strings.Contains(got, want) {
		b.t.Fatalf("page does not say %q (at %s):\n%s", want, b.location(), got)
	}
}

// axe runs axe-core on the page and fails the test on serious or critical
// violations. Without node_modules/axe-core it skips the check, unless
// IDP_REQUIRE_BROWSER=1.
func (b *tab) axe() {
	b.t.Helper()
	source := axeSource(b.t)
	if source == "" {
		return
	}
	if !eval[bool](b, `typeof window.axe === "object"`) {
		eval[bool](b, source+"\n;true")
	}
	found := eval[[]string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise)
	for _, v := range found {
		b.t.Errorf("axe at %s: %s", b.path(), v)
	}
}

var axeOnce struct {
	sync.Once
	source string
	err    error
}

// axeSource reads axe.min.js from node_modules at the repository root.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
		axeOnce.source, axeOnce.err = string(raw), err
	})
	if axeOnce.err != nil {
		if requireBrowser() {
			t.Fatalf("axe-core is required (IDP_REQUIRE_BROWSER=1): %v; run npm install --no-save axe-core@4", axeOnce.err)
		}
		t.Logf("accessibility checks skipped: %v (npm install --no-save axe-core@4)", axeOnce.err)
		return ""
	}
	return axeOnce.source
}

// catcher is a relying party's redirect endpoint that the browser can
// reach: it responds with a small page and hands the query to the test.
type catcher struct {
	url   string
	mu    sync.Mutex
	query url.Values
}

func startCatcher(t *testing.T) *catcher {
	t.Helper()
	c := &catcher{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		c.mu.Lock()
		c.query = r.URL.Query()
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html lang="en"><title>Relying party</title><main><h1 id="rp">Relying party</h1></main></html>`))
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL + "/callback"
	return c
}

// browserRelyingParty registers a web client whose redirect URI the
// browser can reach, and returns it with the catcher of that URI.
func browserRelyingParty(t *testing.T, s *testServer) (*relyingParty, *catcher) {
	t.Helper()
	c := startCatcher(t)
	client, secret, err := idp.RegisterClient(context.Background(), s.app.store, idp.ClientSpec{
		Name: "Front desk", Type: "web", RedirectURIs: []string{c.url},
	}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rp := s.relyingParty(t)
	rp.config.ClientID, rp.config.ClientSecret, rp.config.RedirectURL = client.ID, secret, c.url
	rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: client.ID, Now: s.clock.Now})
	return rp, c
}

// arrived checks that the tab shows the relying party with a code for r
// and redeems it.
func (rp *relyingParty) arrived(t *testing.T, b *tab, c *catcher, r authRequest) tokens {
	t.Helper()
	if !b.has("#rp") {
		t.Fatalf("expected the relying party, at %s:\n%s", b.location(), b.text("body"))
	}
	c.mu.Lock()
	q := c.query
	c.mu.Unlock()
	if q.Get("error") != "" || q.Get("state") != r.state {
		t.Fatalf("relying party got error %q, state %q (want %q)", q.Get("error"), q.Get("state"), r.state)
	}
	location, _ := url.Parse(c.url + "?" + q.Encode())
	return rp.exchange(t, &page{Location: location, URL: location}, r)
}
