// Package webauthntest is a software WebAuthn authenticator for tests. It
// responds to the options the provider's begin endpoints return with the JSON
// that a browser's navigator.credentials.create and .get would post back:
// an ES256 key pair per credential, attestation format "none", and
// assertions with correct client data, authenticator data, flags, sign
// counter and signature. Fields of Authenticator and Credential make it
// misbehave on purpose: another origin, another RP ID, a counter that goes
// backwards.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator flags (WebAuthn Level 3, section 6.1).
const (
	flagUserPresent    = 0x01
	flagUserVerified   = 0x04
	flagBackupEligible = 0x08
	flagBackupState    = 0x10
	flagAttestedData   = 0x40
)

var b64 = base64.RawURLEncoding

// Authenticator is a software authenticator with resident credentials.
// It is not safe for concurrent use.
type Authenticator struct {
	// Origin goes into the client data, as a browser writes the page's
	// origin.
	Origin string
	// RPID, when set, replaces the RP ID of the options in the
	// authenticator data, as a phishing site's RP ID would.
	RPID string
	// UserVerified sets the UV flag: the authenticator checked a PIN or
	// biometric.
	UserVerified bool
	// BackupEligible sets the BE and BS flags of a synced passkey.
	BackupEligible bool
	// Credentials are the credentials created so far, oldest first.
	Credentials []*Credential
}

// Credential is one key pair held by the authenticator.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	// Counter is the sign counter of the last signature; each assertion
	// adds one first. Set it lower to simulate a cloned authenticator.
	Counter uint32
}

// New returns an authenticator whose client data names origin and which
// verifies the user.
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, UserVerified: true}
}

// creationOptions is the part of PublicKeyCredentialCreationOptions the
// authenticator reads.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptions the
// authenticator reads.
type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Register creates a credential for the creation options in optionsJSON
// and returns the registration response as JSON, and the credential.
func (a *Authenticator) Register(optionsJSON []byte) ([]byte, *Credential, error) {
	var opts creationOptions
	if err := json.Unmarshal(optionsJSON, &opts); err != nil {
		return nil, nil, fmt.Errorf("register: decode options: %w", err)
	}
	o := opts.PublicKey
	if o.Challenge == "" || o.RP.ID == "" || o.User.ID == "" {
		return nil, nil, errors.New("register: options lack a challenge, RP ID or user ID")
	}
	userHandle, err := b64.DecodeString(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("register: decode user ID: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: randomBytes(16), Key: key, RPID: o.RP.ID, UserHandle: userHandle}

	authData, err := a.attestedAuthData(c)
	if err != nil {
		return nil, nil, err
	}
	attestation, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, nil, fmt.Errorf("register: encode attestation: %w", err)
	}
	body := map[string]any{
		"id":    b64.EncodeToString(c.ID),
		"rawId": b64.EncodeToString(c.ID),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.Challenge)),
			"attestationObject": b64.EncodeToString(attestation),
			"transports":        []string{"usb"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "cross-platform",
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, nil, err
	}
	a.Credentials = append(a.Credentials, c)
	return out, c, nil
}

// Assert signs the request options in optionsJSON with the newest
// credential they allow, or, when they allow any (a passkey sign-in), with
// the newest credential for their RP ID. It returns the assertion
// response as JSON.
func (a *Authenticator) Assert(optionsJSON []byte) ([]byte, error) {
	var opts requestOptions
	if err := json.Unmarshal(optionsJSON, &opts); err != nil {
		return nil, fmt.Errorf("assert: decode options: %w", err)
	}
	for i := len(a.Credentials) - 1; i >= 0; i-- {
		c := a.Credentials[i]
		if allows(opts, c) {
			return a.AssertWith(c, optionsJSON)
		}
	}
	return nil, errors.New("assert: no credential matches the options")
}

func allows(opts requestOptions, c *Credential) bool {
	if len(opts.PublicKey.AllowCredentials) == 0 {
		return c.RPID == opts.PublicKey.RPID
	}
	for _, d := range opts.PublicKey.AllowCredentials {
		if d.ID == b64.EncodeToString(c.ID) {
			return true
		}
	}
	return false
}

// AssertWith signs the request options with c whether or not they allow
// it, as an attacker replaying another user's credential would.
func (a *Authenticator) AssertWith(c *Credential, optionsJSON []byte) ([]byte, error) {
	var opts requestOptions
	if err := json.Unmarshal(optionsJSON, &opts); err != nil {
		return nil, fmt.Errorf("assert: decode options: %w", err)
	}
	if opts.PublicKey.Challenge == "" {
		return nil, errors.New("assert: options lack a challenge")
	}
	c.Counter++
	authData := a.authData(c.RPID, a.flags(), c.Counter)
	clientData := a.clientData("webauthn.get", opts.PublicKey.Challenge)
	clientHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"id":    b64.EncodeToString(c.ID),
		"rawId": b64.EncodeToString(c.ID),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
		"clientExtensionResults": map[string]any{},
	}
	return json.Marshal(body)
}

func (a *Authenticator) flags() byte {
	f := byte(flagUserPresent)
	if a.UserVerified {
		f |= flagUserVerified
	}
	if a.BackupEligible {
		f |= flagBackupEligible | flagBackupState
	}
	return f
}

// clientData returns the CollectedClientData JSON a browser would build.
func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":        typ,
		"challenge":   challenge,
		"origin":      a.Origin,
		"crossOrigin": false,
	})
	return b
}

// authData returns authenticator data without attested credential data:
// the RP ID hash, the flags and the big-endian sign counter.
func (a *Authenticator) authData(rpID string, flags byte, counter uint32) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	hash := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, hash[:]...)
	out = append(out, flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

// attestedAuthData returns the authenticator data of a registration: the
// common part, then the AAGUID (zero), the credential ID and the public
// key as a COSE_Key (EC2, ES256, P-256).
func (a *Authenticator) attestedAuthData(c *Credential) ([]byte, error) {
	out := a.authData(c.RPID, a.flags()|flagAttestedData, c.Counter)
	out = append(out, make([]byte, 16)...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(c.ID)))
	out = append(out, c.ID...)

	pub, err := c.Key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	point := pub.Bytes() // 0x04 || X || Y
	coseKey, err := webauthncbor.Marshal(map[int]any{
		1:  2,  // kty: EC2
		3:  -7, // alg: ES256
		-1: 1,  // crv: P-256
		-2: point[1:33],
		-3: point[33:65],
	})
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return append(out, coseKey...), nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
