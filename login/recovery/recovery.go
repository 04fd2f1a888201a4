// Package recovery generates, normalises and hashes recovery codes: the
// single-use codes a user keeps on paper to sign in without their
// authenticator app.
package recovery

import (
	"crypto/rand"
	"strings"
	"unicode"

	"github.com/hotelsoft/idp/idp/secret"
)

const (
	// Count is the number of codes in a set.
	Count = 10
	// Length is the number of characters of a code, without the dash.
	Length = 10
)

// alphabet has 31 characters that are hard to confuse when read aloud or
// typed from paper: lower-case letters and digits without 0, o, 1, l and
// i. Ten of them carry about 49.5 bits.
const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// maxInput bounds the input that Normalize reads, so that a huge form value
// costs no more than a short one.
const maxInput = 64

// Generate returns Count distinct random codes, each shown as "xxxxx-xxxxx".
func Generate() []string {
	codes := make([]string, 0, Count)
	seen := make(map[string]bool, Count)
	for len(codes) < Count {
		code := randomCode()
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
	}
	return codes
}

// randomCode returns one code, each character drawn uniformly from
// alphabet by rejection sampling.
func randomCode() string {
	const limit = 256 - 256%len(alphabet) // largest multiple of len(alphabet) in a byte
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < Length+1 {
		if b.Len() == Length/2 {
			b.WriteByte('-')
			continue
		}
		rand.Read(buf)
		if int(buf[0]) >= limit {
			continue
		}
		b.WriteByte(alphabet[int(buf[0])%len(alphabet)])
	}
	return b.String()
}

// Normalize returns input lower-cased, without white space and dashes, when
// the result has the shape of a code: Length characters of the code
// alphabet. It returns "" otherwise, so that a pasted "ABCDE-FGHJK" or
// "abcde fghjk" finds the code "abcdefghjk".
func Normalize(input string) string {
	if len(input) > maxInput {
		return ""
	}
	code := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Dash, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, input)

	if len(code) != Length {
		return ""
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(alphabet, code[i]) < 0 {
			return ""
		}
	}
	return code
}

// LooksLike reports whether input, normalised, has the shape of a recovery
// code, so that one form field can take either a 6-digit TOTP code or a
// recovery code.
func LooksLike(input string) bool {
	return Normalize(input) != ""
}

// Hash returns the stored form of code for userID: an HMAC-SHA256 keyed by
// the master key (secret.PurposeCodeHash) over the user ID and the
// normalised code. A plain hash would not do, because 50 bits fall to
// offline guessing if the database leaks. Binding the user ID means a code
// of one user matches no stored code of another. A code that does not
// normalise hashes the empty string, which matches no stored code.
func Hash(keys *secret.Keys, userID, code string) string {
	return keys.MAC(secret.PurposeCodeHash, "recovery", userID, Normalize(code))
}
