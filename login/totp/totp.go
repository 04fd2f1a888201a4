// Package totp implements authenticator-app codes as RFC 6238 specifies
// them with the parameters every common app supports: HMAC-SHA-1, 6
// digits, a 30-second period, and one step of clock skew either way.
package totp

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

const (
	// SecretSize is the length of a generated secret in bytes: 160 bits,
	// the HMAC-SHA-1 output size that RFC 4226 recommends.
	SecretSize = 20
	// Digits is the length of a code.
	Digits = 6
	// Period is the length of a time step in seconds.
	Period = 30
	// Skew is how many steps before and after the current one are accepted.
	Skew = 1
)

// opts are the code parameters for pquerna/otp. A TOTP code is the HOTP
// code of the time step (RFC 6238, section 4).
var opts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// b32 is the secret encoding of otpauth URIs: base32 without padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// GenerateSecret returns SecretSize random bytes.
func GenerateSecret() []byte {
	secret := make([]byte, SecretSize)
	rand.Read(secret)
	return secret
}

// FormatSecret returns secret in base32 without padding, in groups of four
// characters separated by spaces, for users who type the key by hand.
// Authenticator apps ignore the spaces.
func FormatSecret(secret []byte) string {
	s := b32.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// Step returns the RFC 6238 time step that contains t.
func Step(t time.Time) int64 {
	return floorDiv(t.Unix(), Period)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Code returns the code for the time step that contains t.
func Code(secret []byte, t time.Time) string {
	return codeAt(secret, Step(t))
}

func codeAt(secret []byte, step int64) string {
	code, err := hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step), opts)
	if err != nil {
		// The library fails only for a secret that is not valid base32,
		// and b32 always produces valid base32.
		panic(fmt.Sprintf("totp: generate code: %v", err))
	}
	return code
}

// Match reports whether code is the code of one of the time steps
// Step(now)-1, Step(now) and Step(now)+1, and returns that step. The
// caller records the step as used so that the code cannot be replayed.
//
// Spaces in code are ignored, so a pasted "123 456" matches. Anything but
// Digits decimal digits, and an empty secret, returns ok=false. Every
// step in the window is compared in constant time, so the timing does not
// reveal which step, if any, matched. When a code matches two steps (a
// chance of about one in a million), the earlier step is returned, which
// keeps later codes usable.
func Match(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code, valid := normalize(code)
	if !valid || len(secret) == 0 {
		return 0, false
	}

	current := Step(now)
	found := 0
	for s := current + Skew; s >= current-Skew; s-- {
		if subtle.ConstantTimeCompare([]byte(codeAt(secret, s)), []byte(code)) == 1 {
			step, found = s, 1
		}
	}
	return step, found == 1
}

// maxInput bounds the input that normalize reads, so that a huge form
// value costs no more than a short one.
const maxInput = 64

// normalize removes white space from input and reports whether the result
// is exactly Digits ASCII digits.
func normalize(input string) (string, bool) {
	if len(input) > maxInput {
		return "", false
	}
	code := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, input)
	if len(code) != Digits {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	return code, true
}

// URL returns the otpauth URI that authenticator apps read from a QR code
// or a link, in the Key Uri Format of Google Authenticator:
//
//	otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
//
// The label uses ':' to separate issuer and account, so colons in
// issuerName are replaced by spaces. Every reserved character is
// percent-encoded and spaces become %20, because some apps show a '+'
// literally or decode it as a space.
func URL(issuerName, accountName string, secret []byte) string {
	issuer := escape(strings.ReplaceAll(issuerName, ":", " "))
	query := []string{
		"secret=" + b32.EncodeToString(secret),
		"issuer=" + issuer,
		"algorithm=SHA1",
		fmt.Sprintf("digits=%d", Digits),
		fmt.Sprintf("period=%d", Period),
	}
	return "otpauth://totp/" + issuer + ":" + escape(accountName) + "?" + strings.Join(query, "&")
}

// escape percent-encodes s for a path segment or a query value, with
// spaces as %20. It keeps '@', which RFC 3986 allows in both, so an email
// address stays readable.
func escape(s string) string {
	return strings.NewReplacer("+", "%20", "%40", "@").Replace(url.QueryEscape(s))
}

// QRCodePNG returns a size×size PNG image of a QR code holding otpauthURL.
// It fails when size is not positive, above 2048, or too small for the
// code's modules.
func QRCodePNG(otpauthURL string, size int) ([]byte, error) {
	if size <= 0 || size > 2048 {
		return nil, fmt.Errorf("render QR code: size %d outside 1 to 2048 pixels", size)
	}
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return nil, fmt.Errorf("render QR code: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("render QR code: %w", err)
	}

	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("render QR code: %w", err)
	}
	return buf.Bytes(), nil
}
