package idp

import (
	"slices"
	"strings"
	"testing"
)

func TestEssentialACR(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{"absent", ``, nil},
		{"values", `{"id_token":{"acr":{"essential":true,"values":["phr","2fa"]}}}`, []string{"phr", "2fa"}},
		{"value", `{"id_token":{"acr":{"essential":true,"value":"phr"}}}`, []string{"phr"}},
		{"voluntary", `{"id_token":{"acr":{"values":["phr"]}}}`, nil},
		{"essential without values", `{"id_token":{"acr":{"essential":true}}}`, nil},
		{"userinfo only", `{"userinfo":{"acr":{"essential":true,"value":"phr"}}}`, nil},
		{"null member", `{"id_token":{"acr":null}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := essentialACR(tc.raw)
			if err != nil {
				t.Fatalf("essentialACR(%s): %v", tc.raw, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("essentialACR(%s) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestEssentialACRMalformed(t *testing.T) {
	for _, raw := range []string{`{`, `[]`, `{"id_token":{"acr":{"essential":"yes"}}}`, `{"id_token":` + strings.Repeat(" ", maxClaimsLength) + `{}}`} {
		if _, err := essentialACR(raw); err == nil {
			t.Errorf("essentialACR(%.40q) = nil error, want an error", raw)
		}
	}
}
