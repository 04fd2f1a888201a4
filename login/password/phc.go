package password

import (
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2idPrefix = "$argon2id$"

// b64 is the PHC string format's base64: standard alphabet, no padding,
// and strict, so that no two strings decode to the same bytes.
var b64 = base64.RawStdEncoding.Strict()

// argon2Hash is a decoded argon2id PHC string.
type argon2Hash struct {
	params Params
	salt   []byte
	key    []byte
}

// encode returns the PHC string of h.
func (h argon2Hash) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, formatParams(h.params),
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

func formatParams(p Params) string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

// decodeArgon2 parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH". It accepts
// only the canonical form that encode writes, with parameters within the
// limits of Params.Validate.
func decodeArgon2(encoded string) (argon2Hash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argon2Hash{}, fmt.Errorf("%w: want 5 fields of argon2id PHC format", ErrMalformed)
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return argon2Hash{}, fmt.Errorf("%w: unsupported argon2 version %q", ErrMalformed, parts[2])
	}

	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || formatParams(p) != parts[3] {
		return argon2Hash{}, fmt.Errorf("%w: invalid argon2 parameters %q", ErrMalformed, parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return argon2Hash{}, fmt.Errorf("%w: invalid salt encoding", ErrMalformed)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return argon2Hash{}, fmt.Errorf("%w: invalid hash encoding", ErrMalformed)
	}

	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return argon2Hash{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return argon2Hash{params: p, salt: salt, key: key}, nil
}
