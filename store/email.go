package store

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail returns the key under which an email address is unique
// and throttled: surrounding white space removed, Unicode NFKC-normalised
// and lower-cased, so that variants of one address count as one account.
func NormalizeEmail(email string) string {
	return strings.ToLower(norm.NFKC.String(strings.TrimSpace(email)))
}
