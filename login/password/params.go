// Package password hashes and verifies passwords with argon2id and checks
// new passwords against the sign-in policy.
//
// Hashes are PHC strings ("$argon2id$v=19$m=47104,t=1,p=1$salt$hash"), so
// each hash carries its own parameters and can be upgraded on sign-in.
// Verify also accepts bcrypt hashes ("$2a$", "$2b$", "$2y$") from imported
// accounts.
package password

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is OWASP's minimum configuration for argon2id: 46 MiB of
// memory, one pass and one lane (OWASP Password Storage Cheat Sheet).
var DefaultParams = Params{Memory: 47104, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits that every accepted hash and Params respect. They keep a stored
// hash whose parameters were tampered with from making one Verify use
// gigabytes of memory or minutes of CPU.
const (
	maxMemory  = 1 << 20 // KiB, 1 GiB
	maxTime    = 32
	maxThreads = 64
	minSaltLen = 8 // the minimum salt length of the argon2 specification (RFC 9106)
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// Validate returns an error naming the first parameter outside the
// accepted range.
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2id threads %d: want 1 to %d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("argon2id memory %d KiB: want %d to %d KiB", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id time %d: want 1 to %d", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2id salt length %d: want %d to %d bytes", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2id key length %d: want %d to %d bytes", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// ErrUnknownFormat reports a stored hash that is neither an argon2id PHC
// string nor a bcrypt hash.
var ErrUnknownFormat = errors.New("unknown password hash format")

// ErrMalformed reports a stored hash of a known format that cannot be
// decoded or whose parameters are out of range.
var ErrMalformed = errors.New("malformed password hash")
