// Package secret holds the provider's cryptographic primitives: the master
// key and the keys derived from it, encryption at rest, random tokens and
// token hashes.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// MasterKeySize is the length of the master key in bytes.
const MasterKeySize = 32

// Purposes of derived keys. Each purpose yields an independent key, so a
// key leaked from one use tells nothing about another.
const (
	PurposeCookieHash  = "cookie-hash"
	PurposeCookieBlock = "cookie-block"
	PurposeAtRest      = "at-rest"
	PurposeOIDCCrypto  = "oidc-crypto"
	PurposeCSRF        = "csrf"
	PurposeCodeHash    = "code-hash"
	PurposeLinkSigning = "link-signing"
)

// Keys derives purpose-bound keys from the master key.
type Keys struct {
	master []byte
}

// NewKeys returns Keys for a master key of MasterKeySize bytes.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("secret: master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	return &Keys{master: append([]byte(nil), master...)}, nil
}

// Derive returns a 32-byte key for purpose, using HKDF-SHA256.
func (k *Keys) Derive(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.master, nil, "idp:"+purpose, 32)
	if err != nil {
		// HKDF fails only for lengths above 255 hash sizes.
		panic(err)
	}
	return key
}

// Sealer returns an AES-256-GCM sealer keyed for encryption at rest.
func (k *Keys) Sealer() *Sealer {
	s, err := NewSealer(k.Derive(PurposeAtRest))
	if err != nil {
		panic(err) // the derived key always has a valid size
	}
	return s
}

// MAC returns HMAC-SHA256 of the parts under the key for purpose, hex
// encoded. Parts are length-prefixed so that ("ab","c") and ("a","bc")
// differ.
func (k *Keys) MAC(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, k.Derive(purpose))
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Sealer encrypts and authenticates small values with AES-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to label (for example a user ID), so a
// ciphertext copied to another row fails to open. The result is
// nonce||ciphertext.
func (s *Sealer) Seal(plaintext []byte, label string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(label))
}

// ErrDecrypt reports a ciphertext that is malformed, was sealed under
// another key or carries another label.
var ErrDecrypt = errors.New("secret: decryption failed")

// Open decrypts what Seal returned for the same label.
func (s *Sealer) Open(sealed []byte, label string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrDecrypt
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// Token returns a random URL-safe token with 256 bits of entropy.
func Token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ID returns a random URL-safe identifier with 128 bits of entropy. IDs
// never contain ':' because the provider library splits opaque tokens on
// it.
func ID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns the hex SHA-256 of a high-entropy token, the form in which
// tokens, codes and client secrets are stored and looked up.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Equal compares two strings in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
