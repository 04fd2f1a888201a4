package totp

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"
)

// rfcSecret is the SHA-1 key of the RFC 6238 test vectors (Appendix B).
var rfcSecret = []byte("12345678901234567890")

func TestCodeRFC6238(t *testing.T) {
	// The RFC lists 8-digit codes; a 6-digit code is their last six digits.
	vectors := map[int64]string{
		59:          "287082",
		1111111109:  "081804",
		1111111111:  "050471",
		1234567890:  "005924",
		2000000000:  "279037",
		20000000000: "353130",
	}
	for unix, want := range vectors {
		if got := Code(rfcSecret, time.Unix(unix, 0)); got != want {
			t.Errorf("Code(T=%d) = %s, want %s", unix, got, want)
		}
	}
}

func TestMatchWindow(t *testing.T) {
	secret := GenerateSecret()
	now := time.Unix(1_700_000_015, 0) // 15 s into step 56666667
	current := Step(now)

	for _, offset := range []int64{-1, 0, 1} {
		at := now.Add(time.Duration(offset*Period) * time.Second)
		step, ok := Match(secret, Code(secret, at), now)
		if !ok || step != current+offset {
			t.Errorf("Match(code of step %+d) = %d, %v; want %d, true", offset, step, ok, current+offset)
		}
	}
}

func TestMatchOutsideWindow(t *testing.T) {
	secret := GenerateSecret()
	now := time.Unix(1_700_000_015, 0)

	for _, offset := range []int64{-3, -2, 2, 3} {
		at := now.Add(time.Duration(offset*Period) * time.Second)
		code := Code(secret, at)
		if near(secret, code, now) {
			continue // the code of a far step equals one in the window by chance
		}
		if step, ok := Match(secret, code, now); ok {
			t.Errorf("Match(code of step %+d) = %d, true; want false", offset, step)
		}
	}
}

// near reports whether code is the code of a step in the window around now.
func near(secret []byte, code string, now time.Time) bool {
	for s := Step(now) - 1; s <= Step(now)+1; s++ {
		if codeAt(secret, s) == code {
			return true
		}
	}
	return false
}

func TestMatchWrongSecret(t *testing.T) {
	now := time.Now()
	a, b := GenerateSecret(), GenerateSecret()
	code := Code(a, now)
	if near(b, code, now) {
		t.Skip("secrets share a code by chance")
	}
	if _, ok := Match(b, code, now); ok {
		t.Error("Match accepted a code of another secret")
	}
}

func TestMatchMalformed(t *testing.T) {
	secret := GenerateSecret()
	now := time.Now()
	code := Code(secret, now)

	inputs := map[string]string{
		"empty":           "",
		"spaces":          "      ",
		"five digits":     code[:5],
		"seven digits":    code + "0",
		"letter":          code[:5] + "a",
		"sign":            "+" + code[1:],
		"dash":            code[:3] + "-" + code[3:],
		"fullwidth":       strings.Map(func(r rune) rune { return r - '0' + '０' }, code),
		"arabic-indic":    strings.Map(func(r rune) rune { return r - '0' + '٠' }, code),
		"nul":             code + "\x00",
		"invalid utf8":    code + "\xff",
		"long":            strings.Repeat(" ", 100) + code,
		"recovery code":   "abcde-fghjk",
		"eight of digits": code + "00",
	}
	for name, in := range inputs {
		if step, ok := Match(secret, in, now); ok {
			t.Errorf("Match(%s %q) = %d, true; want false", name, in, step)
		}
	}
}

func TestMatchEmptySecret(t *testing.T) {
	now := time.Now()
	if _, ok := Match(nil, Code(nil, now), now); ok {
		t.Error("Match accepted a code for an empty secret")
	}
}

func TestMatchPastedSpaces(t *testing.T) {
	secret := GenerateSecret()
	now := time.Now()
	code := Code(secret, now)

	for _, in := range []string{
		code[:3] + " " + code[3:],
		" " + code + " ",
		code[:3] + "\u00a0" + code[3:],
		"\t" + code[:2] + " " + code[2:4] + " " + code[4:] + "\n",
	} {
		if step, ok := Match(secret, in, now); !ok || step != Step(now) {
			t.Errorf("Match(%q) = %d, %v; want %d, true", in, step, ok, Step(now))
		}
	}
}

func TestStepBoundaries(t *testing.T) {
	if s := Step(time.Unix(29, 999)); s != 0 {
		t.Errorf("Step(29 s) = %d, want 0", s)
	}
	if s := Step(time.Unix(30, 0)); s != 1 {
		t.Errorf("Step(30 s) = %d, want 1", s)
	}
}

func TestGenerateSecret(t *testing.T) {
	a, b := GenerateSecret(), GenerateSecret()
	if len(a) != 20 {
		t.Errorf("len(GenerateSecret()) = %d, want 20", len(a))
	}
	if bytes.Equal(a, b) {
		t.Error("two secrets are equal")
	}
}

func TestFormatSecret(t *testing.T) {
	secret := GenerateSecret()
	formatted := FormatSecret(secret)

	groups := strings.Split(formatted, " ")
	if len(groups) != 8 {
		t.Fatalf("FormatSecret = %q, want 8 groups for 20 bytes", formatted)
	}
	for _, g := range groups {
		if len(g) != 4 {
			t.Errorf("group %q has %d characters, want 4", g, len(g))
		}
	}
	decoded, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(formatted, " ", ""))
	if err != nil || !bytes.Equal(decoded, secret) {
		t.Errorf("FormatSecret does not decode back to the secret: %v", err)
	}
	if got := FormatSecret([]byte("hello")); got != "NBSW Y3DP" {
		t.Errorf("FormatSecret(hello) = %q, want %q", got, "NBSW Y3DP")
	}
	if got := FormatSecret([]byte("hi")); got != "NBUQ" {
		t.Errorf("FormatSecret(hi) = %q, want %q (no padding)", got, "NBUQ")
	}
}

func TestURLFormat(t *testing.T) {
	got := URL("Hotelsoft", "anna@example.com", []byte("hello"))
	want := "otpauth://totp/Hotelsoft:anna@example.com?secret=NBSWY3DP&issuer=Hotelsoft&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestURLParsesBack(t *testing.T) {
	secret := GenerateSecret()
	tests := []struct{ issuer, account, wantIssuer string }{
		{"Hotelsoft", "anna@example.com", "Hotelsoft"},
		{"Hotel Soft & Co", "anna+staff@example.com", "Hotel Soft & Co"},
		{"Hotelsoft: Staging", "ännä@exämple.com", "Hotelsoft  Staging"},
		{"Hôtel/Soft?#", "a b@example.com", "Hôtel/Soft?#"},
		{"Hotelsoft", "x%40y&secret=AAAA", "Hotelsoft"},
	}
	for _, tt := range tests {
		raw := URL(tt.issuer, tt.account, secret)
		if !strings.HasPrefix(raw, "otpauth://totp/") {
			t.Errorf("URL = %q, want otpauth://totp/ prefix", raw)
		}
		if strings.Contains(raw, "+") {
			t.Errorf("URL = %q encodes something as '+', which some apps show literally", raw)
		}
		key, err := otp.NewKeyFromURL(raw)
		if err != nil {
			t.Fatalf("NewKeyFromURL(%q): %v", raw, err)
		}
		if key.Type() != "totp" || key.Issuer() != tt.wantIssuer || key.AccountName() != tt.account {
			t.Errorf("parsed %q: type %q issuer %q account %q; want totp, %q, %q", raw, key.Type(), key.Issuer(), key.AccountName(), tt.wantIssuer, tt.account)
		}
		if key.Algorithm() != otp.AlgorithmSHA1 || key.Digits() != otp.DigitsSix || key.Period() != 30 {
			t.Errorf("parsed %q: %v, %v digits, %d s; want SHA1, 6, 30", raw, key.Algorithm(), key.Digits(), key.Period())
		}

		// An app that reads the URL computes the codes that Match accepts.
		now := time.Now()
		code, err := pqtotp.GenerateCode(key.Secret(), now)
		if err != nil {
			t.Fatalf("GenerateCode from parsed secret: %v", err)
		}
		if _, ok := Match(secret, code, now); !ok {
			t.Errorf("Match rejected the code computed from the parsed URL %q", raw)
		}
	}
}

func TestQRCodePNG(t *testing.T) {
	raw := URL("Hotelsoft", "anna@example.com", GenerateSecret())
	data, err := QRCodePNG(raw, 256)
	if err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("image is %dx%d, want 256x256", b.Dx(), b.Dy())
	}

	for _, size := range []int{-1, 0, 10, 4096} {
		if _, err := QRCodePNG(raw, size); err == nil {
			t.Errorf("QRCodePNG(size %d) succeeded, want an error", size)
		}
	}
	if _, err := QRCodePNG("otpauth://totp/x?secret="+strings.Repeat("A", 5000), 256); err == nil {
		t.Error("QRCodePNG(URL too long for a QR code) succeeded, want an error")
	}
}
