package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of a new password.
const (
	// MinRunes is the minimum length in characters (Unicode code points).
	MinRunes = 10
	// MaxBytes is the maximum length in bytes of the UTF-8 encoding. It
	// bounds the work that one request can cause.
	MaxBytes = 1024
)

// Message IDs of policy violations, as translated in the i18n message
// files.
const (
	MsgTooShort = "PasswordTooShort" // placeholder Min
	MsgTooLong  = "PasswordTooLong"  // placeholder Max (bytes)
	MsgBlank    = "PasswordBlank"    // only white space
	MsgInvalid  = "PasswordInvalid"  // not valid UTF-8
)

// PolicyError is a new password that violates the policy. MessageID is the
// i18n message to show, and Min and Max fill its placeholders.
type PolicyError struct {
	MessageID string
	Min, Max  int
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("password rejected by policy: %s (min %d characters, max %d bytes)", e.MessageID, e.Min, e.Max)
}

// Check returns nil when password may be set as a new password, and a
// *PolicyError otherwise. A password must be valid UTF-8, no longer than
// MaxBytes bytes, at least MinRunes characters long and contain something
// other than white space. Every other character is allowed: composition
// rules only push users towards predictable patterns.
func Check(password string) error {
	fail := func(id string) error {
		return &PolicyError{MessageID: id, Min: MinRunes, Max: MaxBytes}
	}
	switch {
	case len(password) > MaxBytes:
		return fail(MsgTooLong)
	case !utf8.ValidString(password):
		return fail(MsgInvalid)
	case password != "" && strings.TrimSpace(password) == "":
		return fail(MsgBlank)
	case utf8.RuneCountInString(password) < MinRunes:
		return fail(MsgTooShort)
	}
	return nil
}
