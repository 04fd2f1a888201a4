package password

// CheckEncoded reports whether encoded is a hash that Verify accepts, an
// argon2id PHC string or a bcrypt hash, without hashing anything. Imports
// of existing accounts use it to refuse an unusable hash up front rather
// than at the user's first sign-in.
func CheckEncoded(encoded string) error {
	if isBcrypt(encoded) {
		_, err := checkBcrypt(encoded)
		return err
	}
	_, err := decodeArgon2(encoded)
	return err
}
