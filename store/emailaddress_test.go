package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/store"
)

func TestValidateEmail(t *testing.T) {
	valid := []string{
		"gina@example.com",
		"Gina.Rossi+hotel@mail.example.co.uk",
		"admin@localhost",
		"o'brien@example.ie",
		"jürgen@müller.de",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + ".example.com",
	}
	for _, addr := range valid {
		if err := store.ValidateEmail(addr); err != nil {
			t.Errorf("ValidateEmail(%q) = %v, want nil", addr, err)
		}
	}
	invalid := []string{
		"",
		"gina",
		"gina@",
		"@example.com",
		"gina@example.com.",
		`"gina"@example.com`,
		`"gina rossi"@example.com`,
		".gina@example.com",
		"gina.@example.com",
		"gi..na@example.com",
		"gina@@example.com",
		"gina@example..com",
		"gina@.example.com",
		"gina@-example.com",
		"gina@example-.com",
		"gina@exa_mple.com",
		"gina @example.com",
		" gina@example.com",
		"gina@example.com\n",
		"gina\x00@example.com",
		"gina@example.com\u200b",
		"gina@[127.0.0.1]",
		"gina(comment)@example.com",
		"gina@example．com",
		"gina＠example.com",
		"gina@" + strings.Repeat("a", 64) + ".com",
		strings.Repeat("a", 250) + "@b.cd",
		"gina\xff@example.com",
	}
	for _, addr := range invalid {
		err := store.ValidateEmail(addr)
		if err == nil {
			t.Errorf("ValidateEmail(%q) = nil, want an error", addr)
			continue
		}
		if !strings.HasPrefix(err.Error(), addr+" ") && !strings.HasPrefix(err.Error(), fmt.Sprintf("%q ", addr)) {
			t.Errorf("ValidateEmail(%q) = %v: the message does not name the address", addr, err)
		}
	}
}
