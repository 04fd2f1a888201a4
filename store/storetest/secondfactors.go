package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// firstStep is the TOTP time step at which confirmTOTP confirms.
const firstStep = 59_000_000

func recoveryHashes(prefix string, n int) []string {
	var hashes []string
	for i := range n {
		hashes = append(hashes, fmt.Sprintf("%s-code-%d", prefix, i))
	}
	return hashes
}

// confirmTOTP enrols and confirms an authenticator app for the user, with
// ten recovery codes hashed as "rc-code-0" to "rc-code-9".
func confirmTOTP(t *testing.T, s store.Store, userID string) {
	t.Helper()
	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: userID, SecretEncrypted: []byte("sealed"), CreatedAt: t0}))
	must(t, s.ConfirmTOTP(ctx(t), userID, firstStep, recoveryHashes("rc", 10), t0, nil))
}

var secondFactorTests = []test{
	{"TOTPEnrolment", testTOTPEnrolment},
	{"TOTPConfirm", testTOTPConfirm},
	{"TOTPStepReplay", testTOTPStepReplay},
	{"TOTPConcurrentStep", testTOTPConcurrentStep},
	{"RecoveryCodeSingleUse", testRecoveryCodeSingleUse},
	{"RecoveryCodeConcurrentUse", testRecoveryCodeConcurrentUse},
	{"TOTPConfirmNotice", testTOTPConfirmNotice},
	{"TOTPConfirmNoticeFails", testTOTPConfirmNoticeFails},
	{"RecoveryCodeNotice", testRecoveryCodeNotice},
	{"RecoveryCodeConcurrentNotice", testRecoveryCodeConcurrentNotice},
}

func testTOTPEnrolment(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	_, err := s.TOTPByUser(ctx(t), u.ID)
	wantErr(t, err, store.ErrNotFound)

	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("first"), CreatedAt: t0}))
	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("second"), CreatedAt: t0.Add(time.Minute)}))
	c, err := s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	if !bytes.Equal(c.SecretEncrypted, []byte("second")) || !c.ConfirmedAt.IsZero() || !c.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("TOTPByUser = %+v, want the second, unconfirmed enrolment", c)
	}
	methods, err := s.Methods(ctx(t), u.ID)
	must(t, err)
	if len(methods) != 0 {
		t.Errorf("Methods = %v, want none while unconfirmed", methods)
	}

	must(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, nil, t0, nil))
	err = s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("third"), CreatedAt: t0})
	wantErr(t, err, store.ErrConflict)
	c, err = s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	if !bytes.Equal(c.SecretEncrypted, []byte("second")) {
		t.Error("an enrolment replaced the confirmed secret")
	}

	err = s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: "nobody", SecretEncrypted: []byte("x"), CreatedAt: t0})
	wantErr(t, err, store.ErrNotFound)
}

func testTOTPConfirm(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	wantErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, recoveryHashes("rc", 10), t0, nil), store.ErrNotFound)

	confirmTOTP(t, s, u.ID)
	c, err := s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	if !c.ConfirmedAt.Equal(t0) || c.LastStep != firstStep {
		t.Errorf("TOTPByUser = %+v, want confirmed at t0 with the first step used", c)
	}
	methods, err := s.Methods(ctx(t), u.ID)
	must(t, err)
	if !equalStrings(methods, []string{"totp"}) {
		t.Errorf("Methods = %v, want [totp]", methods)
	}
	n, err := s.CountRecoveryCodes(ctx(t), u.ID)
	must(t, err)
	if n != 10 {
		t.Errorf("CountRecoveryCodes = %d, want 10", n)
	}
	// A confirmed credential cannot be confirmed again.
	wantErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep+5, recoveryHashes("new", 10), t0, nil), store.ErrNotFound)
	wantErr(t, s.UseRecoveryCode(ctx(t), u.ID, "new-code-0", t0, nil), store.ErrNotFound)
}

func testTOTPStepReplay(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	wantErr(t, s.UseTOTPStep(ctx(t), u.ID, firstStep), store.ErrNotFound)
	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("s"), CreatedAt: t0}))
	wantErr(t, s.UseTOTPStep(ctx(t), u.ID, firstStep), store.ErrNotFound) // not confirmed yet
	must(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, nil, t0, nil))

	wantErr(t, s.UseTOTPStep(ctx(t), u.ID, firstStep), store.ErrConflict)
	must(t, s.UseTOTPStep(ctx(t), u.ID, firstStep+1))
	wantErr(t, s.UseTOTPStep(ctx(t), u.ID, firstStep+1), store.ErrConflict)
	wantErr(t, s.UseTOTPStep(ctx(t), u.ID, firstStep), store.ErrConflict)
	must(t, s.UseTOTPStep(ctx(t), u.ID, firstStep+3))

	c, err := s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	if c.LastStep != firstStep+3 {
		t.Errorf("LastStep = %d, want %d", c.LastStep, firstStep+3)
	}
}

func testTOTPConcurrentStep(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	confirmTOTP(t, s, u.ID)
	errs := race(func(int) error { return s.UseTOTPStep(ctx(t), u.ID, firstStep+1) })
	if ok, _ := countErrs(t, errs, store.ErrConflict); ok != 1 {
		t.Errorf("%d of %d concurrent uses of one step succeeded, want 1", ok, concurrency)
	}
}

func testRecoveryCodeSingleUse(t *testing.T, s store.Store) {
	alice := createUser(t, s, "alice")
	bob := createUser(t, s, "bob")
	confirmTOTP(t, s, alice.ID)

	must(t, s.UseRecoveryCode(ctx(t), alice.ID, "rc-code-3", t0, nil))
	wantErr(t, s.UseRecoveryCode(ctx(t), alice.ID, "rc-code-3", t0, nil), store.ErrNotFound)
	wantErr(t, s.UseRecoveryCode(ctx(t), alice.ID, "unknown", t0, nil), store.ErrNotFound)
	// Another user's code hash is not alice's.
	wantErr(t, s.UseRecoveryCode(ctx(t), bob.ID, "rc-code-4", t0, nil), store.ErrNotFound)

	n, err := s.CountRecoveryCodes(ctx(t), alice.ID)
	must(t, err)
	if n != 9 {
		t.Errorf("CountRecoveryCodes = %d, want 9", n)
	}
}

func testRecoveryCodeConcurrentUse(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	confirmTOTP(t, s, u.ID)
	errs := race(func(int) error { return s.UseRecoveryCode(ctx(t), u.ID, "rc-code-0", t0, nil) })
	if ok, _ := countErrs(t, errs, store.ErrNotFound); ok != 1 {
		t.Errorf("%d of %d concurrent uses of one code succeeded, want 1", ok, concurrency)
	}
}
