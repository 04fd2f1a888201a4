package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	params Params
	// slots is a semaphore with one token per hash allowed to run at once.
	// Each argon2id hash allocates params.Memory KiB, so the bound caps the
	// memory that a flood of sign-ins can take.
	slots chan struct{}
}

// NewHasher returns a Hasher that creates hashes with p and runs at most
// maxConcurrent hashes at once. A maxConcurrent <= 0 means
// runtime.NumCPU().
// It panics when p fails Params.Validate, because parameters are fixed at
// start-up and invalid ones are a programming or configuration error that
// the caller should have rejected with Validate.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if err := p.Validate(); err != nil {
		panic("password: " + err.Error())
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &Hasher{params: p, slots: make(chan struct{}, maxConcurrent)}
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// acquire waits for a free slot or for ctx to end. A cancelled ctx wins even
// when a slot is free.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the argon2id PHC string of password with a fresh random
// salt. It waits for a free slot and returns ctx's error if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)

	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	defer h.release()

	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return argon2Hash{params: p, salt: salt, key: key}.encode(), nil
}

// Verify checks password against encoded, an argon2id PHC string or a
// bcrypt hash, comparing the derived keys in constant time. needsRehash is
// true after a match when encoded was made with other parameters than the
// Hasher's, or with bcrypt, so the caller should store a new Hash.
//
// A wrong password returns ok=false and a nil error. An unknown format
// returns ErrUnknownFormat, and a known format that cannot be decoded or
// whose parameters exceed the limits returns ErrMalformed. Waiting for a
// slot returns ctx's error if ctx ends first.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		return h.verifyArgon2(ctx, encoded, password)
	case isBcrypt(encoded):
		return h.verifyBcrypt(ctx, encoded, password)
	default:
		return false, false, fmt.Errorf("verify password: %w", ErrUnknownFormat)
	}
}

func (h *Hasher) verifyArgon2(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	stored, err := decodeArgon2(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	defer h.release()

	p := stored.params
	key := argon2.IDKey([]byte(password), stored.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(key, stored.key) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

func (h *Hasher) verifyBcrypt(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	if _, err := checkBcrypt(encoded); err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	defer h.release()

	ok, err = compareBcrypt(encoded, password)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	return ok, ok, nil
}

// Dummy derives a key from password with the Hasher's parameters and
// discards it. Callers run it for an unknown account, so that a sign-in
// takes as long as a Verify against a current hash and its timing does not
// reveal whether the account exists. It returns early, doing nothing, when
// ctx ends while it waits for a slot.
func (h *Hasher) Dummy(ctx context.Context, password string) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)

	if err := h.acquire(ctx); err != nil {
		return
	}
	defer h.release()

	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(key, salt)
}
