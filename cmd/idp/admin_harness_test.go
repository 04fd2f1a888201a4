package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/store"
)

// operator is the actor of the command line, for setting up tests.
func operator() admin.Actor { return admin.OperatorActor() }

// clientSpec is a confidential web client redirecting to a loopback
// relying party that is never contacted.
func clientSpec(name string) idp.ClientSpec {
	return idp.ClientSpec{Name: name, Type: "web", RedirectURIs: []string{"http://127.0.0.1:9/cb2"}}
}

// hotels creates the properties hotel-a and hotel-b.
func (s *testServer) hotels(t *testing.T) {
	t.Helper()
	for _, id := range []string{"hotel-a", "hotel-b"} {
		if err := s.app.store.CreateProperty(context.Background(), store.Property{ID: id, Name: "Hotel " + id, CreatedAt: s.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

// member adds the user with email to the property.
func (s *testServer) member(t *testing.T, email, property string) {
	t.Helper()
	if err := s.app.store.AddUserProperty(context.Background(), s.user(t, email).ID, property); err != nil {
		t.Fatal(err)
	}
}

// grant gives the user with email a permission for a property.
func (s *testServer) grant(t *testing.T, email string, p store.Permission, property string) {
	t.Helper()
	if err := s.app.store.AddGrant(context.Background(), store.Grant{UserID: s.user(t, email).ID, Permission: p, PropertyID: property}); err != nil {
		t.Fatal(err)
	}
}

// staff is an enrolled user of a property, with the browser they signed
// in with.
type staff struct {
	enrolledUser
	b *browser
}

// enrolStaff enrols a user with an authenticator app as a member of
// property; the browser keeps the complete session.
func enrolStaff(t *testing.T, s *testServer, rp *relyingParty, email, property string) staff {
	t.Helper()
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, email)
	if property != "" {
		s.member(t, email, property)
	}
	return staff{enrolledUser: u, b: b}
}

// adminPage opens a console page in the browser.
func adminPage(t *testing.T, s *testServer, b *browser, path string) *page {
	t.Helper()
	return b.get(s.url + path)
}

// rowIDs returns the data-user attributes of the rows of the table with
// id.
func rowIDs(p *page, table string) []string {
	var ids []string
	tbl := p.byID(table)
	if tbl == nil {
		return nil
	}
	walk(tbl, func(n *htmlNode) bool {
		if isElement(n, "tr") && attr(n, "data-user") != "" {
			ids = append(ids, attr(n, "data-user"))
		}
		return true
	})
	return ids
}

// authOf returns the data-auth attribute of the user's row in the users
// table.
func authOf(p *page, userID string) string {
	auth := ""
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "tr") && attr(n, "data-user") == userID {
			auth = attr(n, "data-auth")
		}
		return auth == ""
	})
	return auth
}

// action submits the console form whose action ends with suffix.
func action(t *testing.T, b *browser, p *page, suffix string, fields map[string]string) *page {
	t.Helper()
	var form *htmlNode
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "form") && strings.HasSuffix(attr(n, "action"), suffix) {
			form = n
		}
		return form == nil
	})
	if form == nil {
		t.Fatalf("%s: no form posting to ...%s:\n%s", p.URL.Path, suffix, p.Body)
	}
	values := formValues(form)
	for k, v := range fields {
		values.Set(k, v)
	}
	target, err := p.URL.Parse(attr(form, "action"))
	if err != nil {
		t.Fatal(err)
	}
	return b.post(target.String(), values)
}

// hasForm reports whether the page has a form posting to ...suffix.
func hasForm(p *page, suffix string) bool {
	found := false
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "form") && strings.HasSuffix(attr(n, "action"), suffix) {
			found = true
		}
		return !found
	})
	return found
}

// apiCall sends a request to the admin API with a bearer token and
// decodes the JSON response into out when it is not nil.
func apiCall(t *testing.T, s *testServer, token, method, path string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp
}

// clientToken gets an access token with the client-credentials grant.
func clientToken(t *testing.T, s *testServer, clientID, secret, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// runCLI runs an idp subcommand against the server's database and key.
func runCLI(t *testing.T, s *testServer, args ...string) (string, int) {
	t.Helper()
	args = append(args, "--database-url", s.app.cfg.DatabaseURL, "--secret-key-file", s.app.cfg.SecretKeyFile, "--issuer", s.url)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	if code != 0 {
		t.Logf("idp %s: exit %d: %s", strings.Join(args[:2], " "), code, errb.String())
	}
	return out.String(), code
}

func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// oidcConfig configures an ID token verifier.
type oidcConfig = oidc.Config
