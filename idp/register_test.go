package idp_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
)

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRegisterClientValid(t *testing.T) {
	tests := []struct {
		name       string
		spec       idp.ClientSpec
		wantPublic bool
	}{
		{"web https", idp.ClientSpec{Name: "Staff", Type: "web", RedirectURIs: []string{"https://staff.example.com/cb"}}, false},
		{"web loopback http", idp.ClientSpec{Name: "Dev", Type: "web", RedirectURIs: []string{"http://localhost:3000/cb", "http://127.0.0.1:3000/cb", "http://[::1]:3000/cb"}}, false},
		{"web public", idp.ClientSpec{Name: "SPA", Type: "web", RedirectURIs: []string{"https://spa.example.com/"}, Public: true}, true},
		{"native custom scheme", idp.ClientSpec{Name: "Mobile", Type: "native", RedirectURIs: []string{"com.example.app:/cb"}}, true},
		{"native loopback", idp.ClientSpec{Name: "CLI", Type: "native", RedirectURIs: []string{"http://127.0.0.1/cb"}}, true},
		{"with logout URIs", idp.ClientSpec{
			Name: "Staff", Type: "web", RedirectURIs: []string{"https://a.example.com/cb"},
			PostLogoutRedirectURIs: []string{"https://a.example.com/bye"}, PostLockRedirectURIs: []string{"https://a.example.com/locked"},
			BackchannelLogoutURI: "https://a.example.com/bcl",
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			c, sec, err := idp.RegisterClient(context.Background(), st, tt.spec, time.Now())
			if err != nil {
				t.Fatalf("RegisterClient: %v", err)
			}
			if c.Public() != tt.wantPublic {
				t.Errorf("public = %v, want %v", c.Public(), tt.wantPublic)
			}
			if tt.wantPublic && (sec != "" || c.SecretHash != "") {
				t.Error("public client got a secret")
			}
			if !tt.wantPublic {
				if sec == "" || c.AuthMethod != "client_secret_basic" {
					t.Fatalf("confidential client: secret %q, auth method %q", sec, c.AuthMethod)
				}
				if c.SecretHash != secret.Hash(sec) {
					t.Error("stored secret hash does not match the returned secret")
				}
			}
			stored, err := st.ClientByID(context.Background(), c.ID)
			if err != nil {
				t.Fatalf("client not stored: %v", err)
			}
			if strings.Contains(stored.SecretHash, sec) && sec != "" {
				t.Error("secret stored in the clear")
			}
			if len(stored.RedirectURIs) != len(tt.spec.RedirectURIs) {
				t.Errorf("stored redirect URIs %v, want %v", stored.RedirectURIs, tt.spec.RedirectURIs)
			}
		})
	}
}

func TestRegisterClientInvalid(t *testing.T) {
	long := "https://a.example.com/" + strings.Repeat("x", 2000)
	tests := []struct {
		name string
		spec idp.ClientSpec
		want []string // substrings, one per expected problem
	}{
		{"no name", idp.ClientSpec{Type: "web", RedirectURIs: []string{"https://a.example.com/cb"}}, []string{"name is missing"}},
		{"bad type", idp.ClientSpec{Name: "X", Type: "spa", RedirectURIs: []string{"https://a.example.com/cb"}}, []string{`type "spa"`}},
		{"no redirect", idp.ClientSpec{Name: "X", Type: "web"}, []string{"at least one redirect URI"}},
		{"web http remote", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"http://a.example.com/cb"}}, []string{"uses http on a host other than"}},
		{"web custom scheme", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"com.example.app:/cb"}}, []string{"only native clients"}},
		{"native https", idp.ClientSpec{Name: "X", Type: "native", RedirectURIs: []string{"https://a.example.com/cb"}}, []string{"native clients use"}},
		{"native scheme without dot", idp.ClientSpec{Name: "X", Type: "native", RedirectURIs: []string{"myapp:/cb"}}, []string{"without a dot"}},
		{"native http remote", idp.ClientSpec{Name: "X", Type: "native", RedirectURIs: []string{"http://a.example.com/cb"}}, []string{"uses http on a host other than"}},
		{"fragment", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"https://a.example.com/cb#x"}}, []string{"fragment"}},
		{"relative", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"/cb"}}, []string{"not absolute"}},
		{"white space", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{" https://a.example.com/cb"}}, []string{"white space"}},
		{"user info", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"https://u:p@a.example.com/cb"}}, []string{"user information"}},
		{"too long", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{long}}, []string{"longer than"}},
		{"bad post-logout", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"https://a.example.com/cb"}, PostLogoutRedirectURIs: []string{"http://evil.example.com/"}}, []string{"post-logout redirect URI"}},
		{"bad post-lock", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"https://a.example.com/cb"}, PostLockRedirectURIs: []string{"ftp://a.example.com/"}}, []string{"post-lock redirect URI"}},
		{"bad back-channel", idp.ClientSpec{Name: "X", Type: "web", RedirectURIs: []string{"https://a.example.com/cb"}, BackchannelLogoutURI: "http://a.example.com/bcl"}, []string{"back-channel logout URI"}},
		{"all problems at once", idp.ClientSpec{Type: "web", RedirectURIs: []string{"http://a.example.com/cb", "x:/y#z"}}, []string{"name is missing", "uses http on", "fragment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			_, _, err := idp.RegisterClient(context.Background(), st, tt.spec, time.Now())
			var specErr *idp.ClientSpecError
			if !errors.As(err, &specErr) {
				t.Fatalf("error = %v, want *ClientSpecError", err)
			}
			if len(specErr.Problems) != len(tt.want) {
				t.Errorf("problems = %q, want %d", specErr.Problems, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if list, _ := st.ListClients(context.Background()); len(list) != 0 {
				t.Errorf("an invalid client was stored: %v", list)
			}
		})
	}
}

func TestRegisterClientNativeAlwaysPublic(t *testing.T) {
	st := openStore(t)
	c, sec, err := idp.RegisterClient(context.Background(), st, idp.ClientSpec{Name: "M", Type: store.AppTypeNative, RedirectURIs: []string{"com.example.app:/cb"}, Public: false}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sec != "" || !c.Public() {
		t.Errorf("native client: secret %q, public %v; want no secret and public", sec, c.Public())
	}
}
