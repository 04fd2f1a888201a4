package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// testParams are cheap parameters so that tests run fast.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashRoundTrip(t *testing.T) {
	h := NewHasher(testParams, 2)
	ctx := context.Background()

	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("Hash = %q, want argon2id PHC string with the hasher's parameters", encoded)
	}
	ok, rehash, err := h.Verify(ctx, encoded, "correct horse battery")
	if err != nil || !ok || rehash {
		t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := NewHasher(testParams, 1)
	a, _ := h.Hash(context.Background(), "same password")
	b, _ := h.Hash(context.Background(), "same password")
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	h := NewHasher(testParams, 1)
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery")

	for _, pw := range []string{"", "correct horse batter", "Correct horse battery", "correct horse battery "} {
		ok, rehash, err := h.Verify(ctx, encoded, pw)
		if err != nil || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
}

func TestVerifyTampered(t *testing.T) {
	h := NewHasher(testParams, 1)
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery")
	fields := strings.Split(encoded, "$") // "", argon2id, v=19, params, salt, hash

	flip := func(s string) string {
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}
	join := func(f ...string) string { return strings.Join(f, "$") }

	// A changed salt or hash that still decodes is a wrong password.
	for name, enc := range map[string]string{
		"salt":   join("", "argon2id", "v=19", fields[3], flip(fields[4]), fields[5]),
		"hash":   join("", "argon2id", "v=19", fields[3], fields[4], flip(fields[5])),
		"time":   join("", "argon2id", "v=19", "m=64,t=2,p=1", fields[4], fields[5]),
		"memory": join("", "argon2id", "v=19", "m=72,t=1,p=1", fields[4], fields[5]),
	} {
		ok, _, err := h.Verify(ctx, enc, "correct horse battery")
		if err != nil || ok {
			t.Errorf("Verify(changed %s) = %v, %v; want false, nil", name, ok, err)
		}
	}

	malformed := map[string]string{
		"version":           join("", "argon2id", "v=16", fields[3], fields[4], fields[5]),
		"no version":        join("", "argon2id", fields[3], fields[4], fields[5]),
		"leading zero":      join("", "argon2id", "v=19", "m=064,t=1,p=1", fields[4], fields[5]),
		"param order":       join("", "argon2id", "v=19", "t=1,m=64,p=1", fields[4], fields[5]),
		"extra param":       join("", "argon2id", "v=19", fields[3]+",k=1", fields[4], fields[5]),
		"zero time":         join("", "argon2id", "v=19", "m=64,t=0,p=1", fields[4], fields[5]),
		"zero threads":      join("", "argon2id", "v=19", "m=64,t=1,p=0", fields[4], fields[5]),
		"threads overflow":  join("", "argon2id", "v=19", "m=64,t=1,p=256", fields[4], fields[5]),
		"huge memory":       join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", fields[4], fields[5]),
		"huge time":         join("", "argon2id", "v=19", "m=64,t=4000000000,p=1", fields[4], fields[5]),
		"memory overflow":   join("", "argon2id", "v=19", "m=99999999999,t=1,p=1", fields[4], fields[5]),
		"negative memory":   join("", "argon2id", "v=19", "m=-64,t=1,p=1", fields[4], fields[5]),
		"salt not base64":   join("", "argon2id", "v=19", fields[3], "!!!!", fields[5]),
		"salt padded":       join("", "argon2id", "v=19", fields[3], fields[4]+"==", fields[5]),
		"short salt":        join("", "argon2id", "v=19", fields[3], "AAAA", fields[5]),
		"empty hash":        join("", "argon2id", "v=19", fields[3], fields[4], ""),
		"short hash":        join("", "argon2id", "v=19", fields[3], fields[4], fields[5][:8]),
		"missing field":     join("", "argon2id", "v=19", fields[3], fields[4]),
		"extra field":       encoded + "$AAAA",
		"trailing space":    encoded + " ",
		"argon2i":           strings.Replace(encoded, "argon2id", "argon2i", 1),
		"truncated":         encoded[:20],
		"prefix only":       "$argon2id$",
		"non-canonical b64": join("", "argon2id", "v=19", fields[3], fields[4], fields[5][:len(fields[5])-1]+"B"),
	}
	for name, enc := range malformed {
		ok, rehash, err := h.Verify(ctx, enc, "correct horse battery")
		if ok || rehash || err == nil {
			t.Errorf("Verify(%s) = %v, %v, %v; want an error", name, ok, rehash, err)
		}
	}
}

func TestVerifyUnknownFormat(t *testing.T) {
	h := NewHasher(testParams, 1)
	for _, enc := range []string{"", "plaintext", "$1$abc$def", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", "{SSHA}abc"} {
		_, _, err := h.Verify(context.Background(), enc, "x")
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Verify(%q) error = %v, want ErrUnknownFormat", enc, err)
		}
	}
}

func TestVerifyRehash(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(testParams, 1)
	encoded, _ := old.Hash(ctx, "correct horse battery")

	changes := map[string]Params{
		"memory":  {Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time":    {Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		"threads": {Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		"salt":    {Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		"key":     {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	}
	for name, p := range changes {
		ok, rehash, err := NewHasher(p, 1).Verify(ctx, encoded, "correct horse battery")
		if err != nil || !ok || !rehash {
			t.Errorf("Verify after %s change = %v, %v, %v; want true, true, nil", name, ok, rehash, err)
		}
	}

	ok, rehash, _ := NewHasher(changes["time"], 1).Verify(ctx, encoded, "wrong password")
	if ok || rehash {
		t.Errorf("Verify(wrong password) = %v, %v; want no rehash without a match", ok, rehash)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h := NewHasher(testParams, 1)
	ctx := context.Background()
	b, err := bcrypt.GenerateFromPassword([]byte("imported password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	encoded := string(b) // $2a$

	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + encoded[4:]
		ok, rehash, err := h.Verify(ctx, enc, "imported password")
		if err != nil || !ok || !rehash {
			t.Errorf("Verify(%s, right) = %v, %v, %v; want true, true, nil", prefix, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(ctx, enc, "imported passworD")
		if err != nil || ok || rehash {
			t.Errorf("Verify(%s, wrong) = %v, %v, %v; want false, false, nil", prefix, ok, rehash, err)
		}
	}

	for name, enc := range map[string]string{
		"cost too high": "$2b$31$" + encoded[7:],
		"cost too low":  "$2b$03$" + encoded[7:],
		"cost letters":  "$2b$1x$" + encoded[7:],
		"short":         encoded[:59],
		"long":          encoded + "A",
		"bad alphabet":  encoded[:50] + "+" + encoded[51:],
		"no separator":  encoded[:6] + "x" + encoded[7:],
	} {
		ok, _, err := h.Verify(ctx, enc, "imported password")
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%s) = %v, %v; want ErrMalformed", name, ok, err)
		}
	}
	if _, _, err := h.Verify(ctx, "$2x$"+encoded[4:], "imported password"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Verify($2x$) error = %v, want ErrUnknownFormat", err)
	}
}

func TestVerifyBcryptLongPassword(t *testing.T) {
	h := NewHasher(testParams, 1)
	long := strings.Repeat("a", 72)
	b, _ := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)

	// bcrypt reads only the first 72 bytes of a password.
	ok, _, err := h.Verify(context.Background(), string(b), long+"extra")
	if err != nil || !ok {
		t.Errorf("Verify(73+ bytes) = %v, %v; want true, nil", ok, err)
	}
}

func TestDefaultParams(t *testing.T) {
	if err := DefaultParams.Validate(); err != nil {
		t.Fatalf("DefaultParams.Validate: %v", err)
	}
	h := NewHasher(DefaultParams, 1)
	ctx := context.Background()

	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=47104,t=1,p=1$") {
		t.Errorf("Hash = %q, want OWASP minimum parameters", encoded)
	}
	ok, rehash, err := h.Verify(ctx, encoded, "correct horse battery")
	if err != nil || !ok || rehash {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	h.Dummy(ctx, "correct horse battery")
}

// TestVerifyKnownVector checks the PHC decoding against an argon2id test
// vector of the reference implementation (phc-winner-argon2, src/test.c):
// "password" with salt "somesalt", t=2, m=65536, p=1.
func TestVerifyKnownVector(t *testing.T) {
	const encoded = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, _, err := NewHasher(testParams, 1).Verify(context.Background(), encoded, "password")
	if err != nil || !ok {
		t.Errorf("Verify(reference vector) = %v, %v; want true, nil", ok, err)
	}
}

func TestNewHasherDefaultConcurrency(t *testing.T) {
	h := NewHasher(testParams, 0)
	if cap(h.slots) < 1 {
		t.Errorf("slots = %d, want runtime.NumCPU()", cap(h.slots))
	}
}

func TestNewHasherInvalidParams(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHasher(Threads: 0) did not panic")
		}
	}()
	NewHasher(Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}, 1)
}

// fillSlots takes every slot of h, as hashes in flight would, and returns
// a function that frees them.
func fillSlots(h *Hasher) (free func()) {
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	return func() {
		for range cap(h.slots) {
			<-h.slots
		}
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(testParams, 2)
	free := fillSlots(h)

	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "correct horse battery")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash returned %v while every slot was taken", err)
	case <-time.After(50 * time.Millisecond):
	}

	free()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Hash after slots freed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hash still waiting after slots freed")
	}
}

func TestHasherConcurrentUse(t *testing.T) {
	h := NewHasher(testParams, 3)
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery")

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if ok, _, err := h.Verify(ctx, encoded, "correct horse battery"); !ok || err != nil {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if n := len(h.slots); n != 0 {
		t.Errorf("%d slots still taken after every Verify returned", n)
	}
}

func TestHasherCancelWhileWaiting(t *testing.T) {
	h := NewHasher(testParams, 1)
	encoded, _ := h.Hash(context.Background(), "correct horse battery")
	free := fillSlots(h)
	defer free()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "correct horse battery"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash error = %v, want context.DeadlineExceeded", err)
	}
	ok, _, err := h.Verify(ctx, encoded, "correct horse battery")
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify = %v, %v; want false, context.DeadlineExceeded", ok, err)
	}

	start := time.Now()
	h.Dummy(ctx, "correct horse battery")
	if time.Since(start) > time.Second {
		t.Error("Dummy kept waiting after ctx ended")
	}
}

func TestHasherCancelledContext(t *testing.T) {
	h := NewHasher(testParams, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse battery"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash error = %v, want context.Canceled even with a free slot", err)
	}
}

func TestDummyTiming(t *testing.T) {
	p := Params{Memory: 8192, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := NewHasher(p, 1)
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery")

	measure := func(f func()) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	verify := measure(func() { h.Verify(ctx, encoded, "wrong password!") })
	dummy := measure(func() { h.Dummy(ctx, "wrong password!") })

	// Loose bounds, because other tests may share the CPU.
	if dummy < verify/3 || dummy > verify*3 {
		t.Errorf("Dummy took %v, Verify %v; want about the same", dummy, verify)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		password string
		want     string // MessageID, "" for accepted
	}{
		{"empty", "", MsgTooShort},
		{"nine", "123456789", MsgTooShort},
		{"ten", "1234567890", ""},
		{"ten runes", "ééééééééé€", ""},
		{"nine runes many bytes", "€€€€€€€€€", MsgTooShort},
		{"spaces only", strings.Repeat(" ", 12), MsgBlank},
		{"unicode spaces", strings.Repeat("\u00a0\u3000\t\n", 4), MsgBlank},
		{"inner spaces", "  a       b  ", ""},
		{"max bytes", strings.Repeat("a", MaxBytes), ""},
		{"too long", strings.Repeat("a", MaxBytes+1), MsgTooLong},
		{"too long runes", strings.Repeat("€", 342), MsgTooLong},
		{"invalid utf8", "abcdefghij\xff", MsgInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.password)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check = %v, want *PolicyError", err)
			}
			if pe.MessageID != tt.want || pe.Min != MinRunes || pe.Max != MaxBytes {
				t.Errorf("Check = %+v, want MessageID %s, Min %d, Max %d", *pe, tt.want, MinRunes, MaxBytes)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams, 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := NewHasher(DefaultParams, 1)
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery")
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, encoded, "correct horse battery"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
