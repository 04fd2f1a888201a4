package recovery

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/idp/secret"
)

var codePattern = regexp.MustCompile(`^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$`)

func testKeys(t *testing.T, fill byte) *secret.Keys {
	t.Helper()
	keys, err := secret.NewKeys([]byte(strings.Repeat(string(fill), secret.MasterKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestGenerateShape(t *testing.T) {
	codes := Generate()
	if len(codes) != Count {
		t.Fatalf("Generate returned %d codes, want %d", len(codes), Count)
	}
	for _, c := range codes {
		if !codePattern.MatchString(c) {
			t.Errorf("code %q does not match %s", c, codePattern)
		}
		if strings.ContainsAny(c, "0o1li") {
			t.Errorf("code %q contains an ambiguous character", c)
		}
		if !LooksLike(c) {
			t.Errorf("LooksLike(%q) = false for a generated code", c)
		}
	}
}

func TestGenerateUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		set := map[string]bool{}
		for _, c := range Generate() {
			if set[c] {
				t.Fatalf("code %q appears twice in one set", c)
			}
			set[c] = true
			if seen[c] {
				t.Fatalf("code %q appears in two sets", c)
			}
			seen[c] = true
		}
	}
}

func TestGenerateUsesAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for range 100 {
		for _, c := range Generate() {
			for _, r := range strings.ReplaceAll(c, "-", "") {
				counts[r]++
			}
		}
	}
	// 10,000 characters over 31 symbols: about 323 each. A symbol that
	// never appears, or far too often, means a biased generator.
	for _, r := range alphabet {
		if n := counts[r]; n < 200 || n > 460 {
			t.Errorf("character %q drawn %d times in 10000, want about 323", r, n)
		}
	}
	if len(counts) != len(alphabet) {
		t.Errorf("drew %d distinct characters, want %d", len(counts), len(alphabet))
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abcde-fghjk", "abcdefghjk"},
		{"ABCDE-FGHJK", "abcdefghjk"},
		{"abcde fghjk", "abcdefghjk"},
		{"  abcdefghjk\n", "abcdefghjk"},
		{"ab-cd-ef-gh-jk", "abcdefghjk"},
		{"abcde\u2013fghjk", "abcdefghjk"}, // en dash from a word processor
		{"abcde\u00a0fghjk", "abcdefghjk"},
		{"a2345-6789z", "a23456789z"},
		{"", ""},
		{"-----", ""},
		{"abcde-fghj", ""},     // too short
		{"abcde-fghjkm", ""},   // too long
		{"abcde-fghj0", ""},    // zero
		{"abcde-fghjo", ""},    // letter o
		{"abcde-fghj1", ""},    // one
		{"abcde-fghjl", ""},    // letter l
		{"abcde-fghji", ""},    // letter i
		{"abcde_fghjk", ""},    // underscore is not a separator
		{"123456", ""},         // a TOTP code
		{"abcdé-fghjk", ""},    // non-ASCII letter
		{"ａｂｃｄｅ-ｆｇｈｊｋ", ""},    // fullwidth letters
		{"abcde-fghj\x00", ""}, // NUL
		{"abcde-fghj\xff", ""}, // invalid UTF-8
		{strings.Repeat(" ", 70) + "abcdefghjk", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLooksLike(t *testing.T) {
	for in, want := range map[string]bool{
		"abcde-fghjk": true,
		"ABCDEFGHJK":  true,
		"123456":      false,
		"123 456":     false,
		"2345678923":  true, // digits 2-9 only is a possible code
		"":            false,
	} {
		if got := LooksLike(in); got != want {
			t.Errorf("LooksLike(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHashNormalizes(t *testing.T) {
	keys := testKeys(t, 1)
	want := Hash(keys, "user-1", "abcde-fghjk")
	for _, variant := range []string{"ABCDE-FGHJK", "abcdefghjk", " abcde fghjk "} {
		if got := Hash(keys, "user-1", variant); got != want {
			t.Errorf("Hash(%q) differs from Hash(%q)", variant, "abcde-fghjk")
		}
	}
	if Hash(keys, "user-1", "abcde-fghjm") == want {
		t.Error("two codes have the same hash")
	}
	if strings.Contains(want, "abcde") {
		t.Error("hash contains the code")
	}
}

func TestHashPerUser(t *testing.T) {
	keys := testKeys(t, 1)
	if Hash(keys, "user-1", "abcde-fghjk") == Hash(keys, "user-2", "abcde-fghjk") {
		t.Error("one code hashes the same for two users")
	}
}

func TestHashPerMasterKey(t *testing.T) {
	if Hash(testKeys(t, 1), "user-1", "abcde-fghjk") == Hash(testKeys(t, 2), "user-1", "abcde-fghjk") {
		t.Error("one code hashes the same under two master keys")
	}
}

func TestHashMalformed(t *testing.T) {
	keys := testKeys(t, 1)
	for _, code := range Generate() {
		if Hash(keys, "user-1", "not a code") == Hash(keys, "user-1", code) {
			t.Errorf("malformed input hashes like code %q", code)
		}
	}
}
