package idp_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestDiscoveryDocument(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}

	strings := func(key string) []string {
		var out []string
		list, _ := doc[key].([]any)
		for _, v := range list {
			s, _ := v.(string)
			out = append(out, s)
		}
		return out
	}
	lists := []struct {
		key  string
		want []string
	}{
		{"acr_values_supported", []string{"1fa", "2fa", "phr"}},
		{"code_challenge_methods_supported", []string{"S256"}},
		{"response_types_supported", []string{"code"}},
		{"grant_types_supported", []string{"authorization_code", "refresh_token", "client_credentials"}},
		{"id_token_signing_alg_values_supported", []string{"RS256"}},
		{"introspection_endpoint_auth_methods_supported", []string{"client_secret_basic"}},
		{"scopes_supported", []string{"openid", "profile", "email", "offline_access"}},
		{"ui_locales_supported", []string{"en"}},
	}
	for _, l := range lists {
		if got := strings(l.key); !slices.Equal(got, l.want) {
			t.Errorf("%s = %v, want %v", l.key, got, l.want)
		}
	}
	for _, claim := range []string{"sub", "amr", "acr", "auth_time", "sid", "email", "email_verified"} {
		if !slices.Contains(strings("claims_supported"), claim) {
			t.Errorf("claims_supported lacks %q", claim)
		}
	}
	if v, ok := doc["claims_parameter_supported"]; !ok || v != true {
		t.Errorf("claims_parameter_supported = %v (present %v), want true", v, ok)
	}
	if doc["issuer"] != e.issuer {
		t.Errorf("issuer = %v, want %s", doc["issuer"], e.issuer)
	}
	endpoints := map[string]string{
		"authorization_endpoint": "/authorize",
		"token_endpoint":         "/oauth/token",
		"userinfo_endpoint":      "/userinfo",
		"jwks_uri":               "/keys",
		"end_session_endpoint":   "/end_session",
		"revocation_endpoint":    "/revoke",
		"introspection_endpoint": "/oauth/introspect",
	}
	for key, path := range endpoints {
		if doc[key] != e.issuer+path {
			t.Errorf("%s = %v, want %s", key, doc[key], e.issuer+path)
		}
	}
	if _, ok := doc["device_authorization_endpoint"]; ok {
		t.Error("device_authorization_endpoint is advertised")
	}
}

func TestDiscoveryLocales(t *testing.T) {
	e := newEnv(t, withLocales("en", "nl", "fr", "de", "es"))
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Locales []string `json:"ui_locales_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if want := []string{"en", "nl", "fr", "de", "es"}; !slices.Equal(doc.Locales, want) {
		t.Errorf("ui_locales_supported = %v, want %v", doc.Locales, want)
	}
}

func TestKeysEndpoint(t *testing.T) {
	e := newEnv(t)
	ids, err := e.p.SigningKeyIDs(e.ctx)
	if err != nil || len(ids) != 1 {
		t.Fatalf("SigningKeyIDs = %v, %v; want one key", ids, err)
	}

	resp, err := http.Get(e.issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
			Alg string `json:"alg"`
			Use string `json:"use"`
			KTY string `json:"kty"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}

	if len(set.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if k.KID != ids[0] || k.Alg != "RS256" || k.Use != "sig" || k.KTY != "RSA" {
		t.Errorf("key = %+v, want kid %s RS256 sig RSA", k, ids[0])
	}
	if k.D != "" {
		t.Error("the key set publishes a private key")
	}
}
