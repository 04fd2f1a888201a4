package store

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailBytes is the longest email address accepted: the longest path
// that RFC 5321, section 4.5.3.1.3 allows, less the angle brackets.
const MaxEmailBytes = 254

// ValidateEmail accepts only the plain form of an address, so that one
// mailbox cannot become several accounts by spelling. The local part is a
// dot-atom: RFC 5322 atext without quotes or leading, trailing or doubled
// dots. The domain is dot-separated labels of letters, digits and inner
// hyphens, without a trailing dot. Letters beyond ASCII are allowed
// (RFC 6531). Spaces, control characters, invalid UTF-8 and more than
// MaxEmailBytes are rejected, both in addr and in its NFKC form (see
// NormalizeEmail). The error names the address.
func ValidateEmail(addr string) error {
	for _, a := range []string{addr, NormalizeEmail(addr)} {
		if reason := emailProblem(a); reason != "" {
			return fmt.Errorf("%s is not a valid email address: %s", printable(addr), reason)
		}
	}
	return nil
}

// printable returns addr as it is, or quoted with escapes when it holds
// white space, control characters or invalid UTF-8, which must not reach
// a terminal or a log unescaped.
func printable(addr string) string {
	if addr == "" || !utf8.ValidString(addr) || strings.ContainsFunc(addr, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r)
	}) {
		return strconv.Quote(addr)
	}
	return addr
}

// emailProblem returns why addr is not a plain address, or "".
func emailProblem(addr string) string {
	switch {
	case addr == "":
		return "it is empty"
	case len(addr) > MaxEmailBytes:
		return fmt.Sprintf("it is longer than %d bytes", MaxEmailBytes)
	case !utf8.ValidString(addr):
		return "it is not valid UTF-8"
	}
	for _, r := range addr {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "it contains a space or a control character"
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "the @ is missing"
	}
	local, domain := addr[:at], addr[at+1:]
	if reason := localPartProblem(local); reason != "" {
		return reason
	}
	return domainProblem(domain)
}

func localPartProblem(local string) string {
	if local == "" {
		return "the part before the @ is empty"
	}
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return "the part before the @ starts or ends with a dot, or has two dots in a row"
		}
		for _, r := range atom {
			if !isAtext(r) {
				return fmt.Sprintf("the part before the @ contains %q", r)
			}
		}
	}
	return ""
}

// isAtext reports whether r may stand in a dot-atom (RFC 5322 atext, and
// the non-ASCII letters, digits and marks of RFC 6531).
func isAtext(r rune) bool {
	if r >= utf8.RuneSelf {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
	}
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

func domainProblem(domain string) string {
	if domain == "" {
		return "the domain is missing"
	}
	if strings.HasSuffix(domain, ".") {
		return "the domain ends with a dot"
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return "the domain starts with a dot or has two dots in a row"
		}
		if len(label) > 63 {
			return "a part of the domain is longer than 63 bytes"
		}
		if strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "a part of the domain starts or ends with a hyphen"
		}
		for _, r := range label {
			ok := r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
			if !ok {
				return fmt.Sprintf("the domain contains %q", r)
			}
		}
	}
	return ""
}
