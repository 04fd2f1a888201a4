package login

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// ceremonyLifetime is how long the options of one registration or
// assertion stay valid: long enough to find and touch a key.
const ceremonyLifetime = 5 * time.Minute

// maxKeyName bounds the name a user gives a security key.
const maxKeyName = 64

// Ceremony purposes; each browser has at most one ceremony of each.
const (
	ceremonyRegister = "register"
	ceremonyAssert   = "assert"
	ceremonyPasskey  = "passkey"
)

// Authentication method references (RFC 8176) of security keys.
const (
	amrHardwareKey = "hwk"
	amrUser        = "user"
	amrPIN         = "pin"
)

// ErrWebAuthnRejected reports a registration or assertion that failed
// verification: an unknown, expired or reused ceremony, a wrong origin or
// RP ID, a bad signature, a credential of another user, or a sign counter
// that went backwards. The browser learns no more than that.
var ErrWebAuthnRejected = errors.New("login: security key response rejected")

// newRelyingParty configures WebAuthn for the issuer: the RP ID is the
// issuer's host, so keys work only there, and the one accepted origin is
// the issuer's. Attestation is not requested, because the provider trusts
// any authenticator the user holds; passkeys are preferred. An issuer
// whose host is an IP address cannot be an RP ID (WebAuthn Level 3,
// section 5.1.3): it returns nil, and security keys are off.
func newRelyingParty(issuer *url.URL, product string) (*webauthn.WebAuthn, error) {
	if net.ParseIP(issuer.Hostname()) != nil {
		return nil, nil
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:                  issuer.Hostname(),
		RPDisplayName:         product,
		RPOrigins:             []string{issuer.Scheme + "://" + issuer.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		// The ceremony's lifetime is enforced by the store with the
		// handler's clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ceremonyLifetime},
			Registration: webauthn.TimeoutConfig{Timeout: ceremonyLifetime},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("login: configure WebAuthn: %w", err)
	}
	return rp, nil
}

// keyUser adapts a user and their stored credentials to webauthn.User.
type keyUser struct {
	user   store.User
	handle []byte
	creds  []store.WebAuthnCredential
}

func (u *keyUser) WebAuthnID() []byte          { return u.handle }
func (u *keyUser) WebAuthnName() string        { return u.user.Email }
func (u *keyUser) WebAuthnDisplayName() string { return u.user.Name }

func (u *keyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.creds))
	for _, c := range u.creds {
		flags := protocol.FlagUserPresent
		if c.UserVerified {
			flags |= protocol.FlagUserVerified
		}
		if c.BackupEligible {
			flags |= protocol.FlagBackupEligible
		}
		if c.BackupState {
			flags |= protocol.FlagBackupState
		}
		transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
		for i, t := range c.Transports {
			transports[i] = protocol.AuthenticatorTransport(t)
		}
		out = append(out, webauthn.Credential{
			ID:                c.CredentialID,
			PublicKey:         c.PublicKey,
			AttestationFormat: c.AttestationFormat,
			Transport:         transports,
			Flags:             webauthn.NewCredentialFlags(flags),
			Authenticator:     webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
		})
	}
	return out
}

// stored returns the user's stored credential with the given ID.
func (u *keyUser) stored(credentialID []byte) (store.WebAuthnCredential, bool) {
	for _, c := range u.creds {
		if bytes.Equal(c.CredentialID, credentialID) {
			return c, true
		}
	}
	return store.WebAuthnCredential{}, false
}

// loadKeyUser returns the user with their handle, created on first use,
// and their credentials.
func (h *Handler) loadKeyUser(ctx context.Context, user store.User) (*keyUser, error) {
	candidate := make([]byte, 32)
	_, _ = rand.Read(candidate) // never returns an error since Go 1.24
	handle, err := h.store.EnsureWebAuthnHandle(ctx, user.ID, candidate)
	if err != nil {
		return nil, err
	}
	creds, err := h.store.WebAuthnCredentials(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	return &keyUser{user: user, handle: handle, creds: creds}, nil
}

// ceremonyKey names the ceremony of one purpose in one browser. Only its
// hash is stored, because the browser ID is the secret of a cookie.
func ceremonyKey(browserID, purpose string) string {
	return secret.Hash("webauthn:" + purpose + ":" + browserID)
}

// saveCeremony stores the library's session data for the browser of r,
// replacing any earlier ceremony of the same purpose.
func (h *Handler) saveCeremony(r *http.Request, purpose, userID, sessionID string, data *webauthn.SessionData) error {
	browserID := browserFrom(r.Context())
	if browserID == "" {
		return errors.New("save WebAuthn ceremony: no browser ID")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("save WebAuthn ceremony: %w", err)
	}
	now := h.now()
	return h.store.SaveWebAuthnCeremony(r.Context(), store.WebAuthnCeremony{
		Key:       ceremonyKey(browserID, purpose),
		UserID:    userID,
		SessionID: sessionID,
		Data:      raw,
		CreatedAt: now,
		ExpiresAt: now.Add(ceremonyLifetime),
	})
}

// takeCeremony consumes the browser's ceremony of purpose. It returns
// ErrWebAuthnRejected when there is none, it expired, or it was begun for
// another user or session.
func (h *Handler) takeCeremony(r *http.Request, purpose, userID, sessionID string) (webauthn.SessionData, error) {
	browserID := browserFrom(r.Context())
	if browserID == "" {
		return webauthn.SessionData{}, fmt.Errorf("%w: no browser ID", ErrWebAuthnRejected)
	}
	c, err := h.store.TakeWebAuthnCeremony(r.Context(), ceremonyKey(browserID, purpose), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return webauthn.SessionData{}, fmt.Errorf("%w: no pending ceremony", ErrWebAuthnRejected)
	}
	if err != nil {
		return webauthn.SessionData{}, err
	}
	if c.UserID != userID || c.SessionID != sessionID {
		return webauthn.SessionData{}, fmt.Errorf("%w: ceremony begun for another user or session", ErrWebAuthnRejected)
	}
	var data webauthn.SessionData
	if err := json.Unmarshal(c.Data, &data); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("decode WebAuthn ceremony: %w", err)
	}
	return data, nil
}

// BeginKeyRegistration starts registering a new security key or passkey
// for user in the browser of r, within the session sessionID. It stores
// the ceremony server-side, bound to the browser and the session, and
// returns the options for navigator.credentials.create. The caller
// decides that the user may add a key now; the account page calls it for
// a signed-in user.
func (h *Handler) BeginKeyRegistration(r *http.Request, user store.User, sessionID string) (*protocol.CredentialCreation, error) {
	ku, err := h.loadKeyUser(r.Context(), user)
	if err != nil {
		return nil, fmt.Errorf("begin key registration: %w", err)
	}
	exclude := webauthn.Credentials(ku.WebAuthnCredentials()).CredentialDescriptors()
	creation, data, err := h.relyingParty.BeginRegistration(ku, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin key registration: %w", err)
	}
	if err := h.saveCeremony(r, ceremonyRegister, user.ID, sessionID, data); err != nil {
		return nil, err
	}
	return creation, nil
}

// FinishKeyRegistration verifies response, the JSON that
// navigator.credentials.create produced for the ceremony that
// BeginKeyRegistration began in this browser and session, and stores the
// new credential under name, queueing notice (when not nil) in the same
// transaction. The ceremony is consumed whatever the outcome. It returns
// an error wrapping ErrWebAuthnRejected for a response that fails
// verification, and store.ErrAlreadyExists for a key that is registered
// already. The caller audits.
func (h *Handler) FinishKeyRegistration(r *http.Request, user store.User, sessionID, name string, response []byte, notice *store.OutboundEmail) (store.WebAuthnCredential, error) {
	ctx := r.Context()
	data, err := h.takeCeremony(r, ceremonyRegister, user.ID, sessionID)
	if err != nil {
		return store.WebAuthnCredential{}, err
	}
	ku, err := h.loadKeyUser(ctx, user)
	if err != nil {
		return store.WebAuthnCredential{}, fmt.Errorf("finish key registration: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return store.WebAuthnCredential{}, fmt.Errorf("%w: %w", ErrWebAuthnRejected, err)
	}
	cred, err := h.relyingParty.CreateCredential(ku, data, parsed)
	if err != nil {
		return store.WebAuthnCredential{}, fmt.Errorf("%w: %w", ErrWebAuthnRejected, err)
	}

	now := h.now()
	c := store.WebAuthnCredential{
		ID:                secret.ID(),
		UserID:            user.ID,
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		AttestationFormat: cred.AttestationFormat,
		AAGUID:            cred.Authenticator.AAGUID,
		Attachment:        string(cred.Authenticator.Attachment),
		Name:              keyName(name),
		SignCount:         cred.Authenticator.SignCount,
		BackupEligible:    cred.Flags.BackupEligible,
		BackupState:       cred.Flags.BackupState,
		UserVerified:      cred.Flags.UserVerified,
		CreatedAt:         now,
	}
	for _, t := range cred.Transport {
		c.Transports = append(c.Transports, string(t))
	}
	if err := h.store.AddWebAuthnCredential(ctx, c, notice); err != nil {
		return store.WebAuthnCredential{}, fmt.Errorf("finish key registration: %w", err)
	}
	return c, nil
}

// keyName returns the name a user typed for a key, trimmed and bounded.
// An empty name stays empty, and the account page shows a translated
// default for it, so the default follows the reader's language.
func keyName(name string) string {
	name = strings.TrimSpace(strings.ToValidUTF8(name, ""))
	if len(name) > maxKeyName {
		name = truncate(name, maxKeyName)
	}
	return name
}

// assertion is a verified assertion of one of the user's keys.
type assertion struct {
	credential   store.WebAuthnCredential
	userVerified bool // the UV flag of this assertion
}

// checkAssertion verifies parsed against the ceremony data and the user's
// credentials, then records the new sign counter. A counter that did not
// increase (except 0 to 0, for authenticators without a counter) means a
// cloned key: the assertion is refused and audited.
func (h *Handler) checkAssertion(r *http.Request, ku *keyUser, data webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData, req *store.AuthRequest) (assertion, error) {
	ctx := r.Context()
	var (
		cred *webauthn.Credential
		err  error
	)
	if len(data.UserID) == 0 {
		// A passkey sign-in: the handle in the response chose the user.
		_, cred, err = h.relyingParty.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, ku.handle) {
				return nil, errors.New("user handle does not match")
			}
			return ku, nil
		}, data, parsed)
	} else {
		cred, err = h.relyingParty.ValidateLogin(ku, data, parsed)
	}
	if err != nil {
		return assertion{}, fmt.Errorf("%w: %w", ErrWebAuthnRejected, err)
	}

	stored, ok := ku.stored(cred.ID)
	if !ok {
		return assertion{}, fmt.Errorf("%w: credential not stored", ErrWebAuthnRejected)
	}
	if cred.Authenticator.CloneWarning {
		h.audit(ctx, eventKeyCounterRegressed, ku.user.ID, clientOf(req), h.clientAddr(r), map[string]string{
			"credential": stored.ID,
			"stored":     fmt.Sprint(stored.SignCount),
			"presented":  fmt.Sprint(parsed.Response.AuthenticatorData.Counter),
		})
		h.logger.WarnContext(ctx, "security key sign counter went backwards; possible clone", "user_id", ku.user.ID, "credential", stored.ID)
		return assertion{}, fmt.Errorf("%w: sign counter went backwards", ErrWebAuthnRejected)
	}

	flags := parsed.Response.AuthenticatorData.Flags
	err = h.store.RecordWebAuthnUse(ctx, ku.user.ID, stored.CredentialID, stored.SignCount,
		cred.Authenticator.SignCount, flags.HasBackupState(), h.now())
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		// Another assertion of this key won the race, or it was removed.
		return assertion{}, fmt.Errorf("%w: %w", ErrWebAuthnRejected, err)
	}
	if err != nil {
		return assertion{}, err
	}
	return assertion{credential: stored, userVerified: flags.HasUserVerified()}, nil
}

// keyAMR returns the amr of a sign-in whose factors were amr and then a
// security key: the key's references are added, "pin" only when the
// authenticator verified the user.
func keyAMR(amr []string, userVerified bool) []string {
	out := []string{}
	for _, v := range amr {
		if v != amrMFA {
			out = append(out, v)
		}
	}
	add := []string{amrHardwareKey, amrUser}
	if userVerified {
		add = append(add, amrPIN)
	}
	for _, v := range append(add, amrMFA) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
