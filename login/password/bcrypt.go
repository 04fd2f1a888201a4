package password

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost bounds the cost of an imported bcrypt hash, leaving room
// above the usual 10 to 12. Each step doubles the work: cost 12 took 0.2 s
// on one Intel Xeon core (go test, Go 1.26), so cost 15 takes about 1.7 s
// there and a tampered cost of 31 would take about 15 hours.
const maxBcryptCost = 15

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// isBcrypt reports whether encoded starts like a bcrypt hash of a version
// that Verify accepts.
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

// checkBcrypt validates the shape "$2b$CC$" followed by 53 characters of
// bcrypt base64 (22 of salt, 31 of hash) and returns the cost.
func checkBcrypt(encoded string) (int, error) {
	if len(encoded) != 60 || encoded[6] != '$' {
		return 0, fmt.Errorf("%w: bcrypt hash must be 60 characters", ErrMalformed)
	}
	cost, err := strconv.Atoi(encoded[4:6])
	if err != nil || cost < bcrypt.MinCost || cost > maxBcryptCost {
		return 0, fmt.Errorf("%w: bcrypt cost %q outside %d to %d", ErrMalformed, encoded[4:6], bcrypt.MinCost, maxBcryptCost)
	}
	for _, c := range encoded[7:] {
		if !strings.ContainsRune(bcryptAlphabet, c) {
			return 0, fmt.Errorf("%w: invalid bcrypt encoding", ErrMalformed)
		}
	}
	return cost, nil
}

// compareBcrypt compares password with a checked bcrypt hash in constant
// time. bcrypt's key schedule reads at most 72 bytes, so a longer password
// is compared on its first 72 bytes.
func compareBcrypt(encoded, password string) (bool, error) {
	err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}
