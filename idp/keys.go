package idp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// signingKeyBits is the RSA modulus size of generated signing keys.
const signingKeyBits = 2048

// DefaultRetiredKeyRetention is how long RotateSigningKey keeps a retired
// key in the published key set: far beyond the one-hour ID token lifetime,
// so that relying parties can still verify old ID tokens sent back as
// id_token_hint at logout.
const DefaultRetiredKeyRetention = 7 * 24 * time.Hour

// GenerateSigningKey creates an RS256 signing key that signs from now on.
// The private key is PKCS #8, sealed under the master key with the key ID
// as label, so a ciphertext copied to another row does not open.
func GenerateSigningKey(keys *secret.Keys, now time.Time) (store.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	id := secret.ID()
	jwk := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: id, Algorithm: string(jose.RS256), Use: "sig"}
	pub, err := jwk.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode public key: %w", err)
	}
	return store.SigningKey{
		ID:               id,
		Algorithm:        string(jose.RS256),
		PrivateEncrypted: keys.Sealer().Seal(der, id),
		PublicJWK:        pub,
		CreatedAt:        now,
		ActiveFrom:       now,
	}, nil
}

// RotateSigningKey stores a new signing key that signs from now on and
// retires every other key that still signs. A retired key stays published
// for retention (DefaultRetiredKeyRetention when zero) so that tokens it
// signed remain verifiable. Nodes pick the new key up within the key
// cache's few seconds. Until then they sign with a key that is still
// published, so no token fails verification.
func RotateSigningKey(ctx context.Context, st store.SigningKeys, keys *secret.Keys, now time.Time, retention time.Duration) (store.SigningKey, error) {
	if retention <= 0 {
		retention = DefaultRetiredKeyRetention
	}
	existing, err := st.SigningKeys(ctx, now)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("rotate signing key: %w", err)
	}
	k, err := GenerateSigningKey(keys, now)
	if err != nil {
		return store.SigningKey{}, err
	}
	if err := st.CreateSigningKey(ctx, k); err != nil {
		return store.SigningKey{}, fmt.Errorf("rotate signing key: %w", err)
	}
	for _, old := range existing {
		if old.RetiredAt.IsZero() {
			if err := st.RetireSigningKey(ctx, old.ID, now, now.Add(retention)); err != nil {
				return store.SigningKey{}, fmt.Errorf("retire signing key %s: %w", old.ID, err)
			}
		}
	}
	return k, nil
}

// signingKey implements op.SigningKey.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey implements op.Key, an entry of the published key set.
type publicKey struct {
	jwk jose.JSONWebKey
}

func (k *publicKey) ID() string { return k.jwk.KeyID }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}
func (k *publicKey) Use() string { return k.jwk.Use }
func (k *publicKey) Key() any    { return k.jwk.Key }

// keyRing is the set of keys loaded from the store at one time.
type keyRing struct {
	signing   *signingKey // nil when no key signs at this time
	published []op.Key
}

// errNoSigningKey reports that no stored key may sign now; New creates
// one, so this means every key was retired without a successor.
var errNoSigningKey = errors.New("no current signing key: run idp keys rotate")

// loadKeyRing reads the keys that are published at now and opens the one
// that signs: the newest whose activation time has come and that is not
// retired.
func loadKeyRing(ctx context.Context, st store.SigningKeys, sealer *secret.Sealer, now time.Time) (*keyRing, error) {
	stored, err := st.SigningKeys(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	ring := &keyRing{}
	for _, k := range stored {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
			return nil, fmt.Errorf("decode public key %s: %w", k.ID, err)
		}
		ring.published = append(ring.published, &publicKey{jwk: jwk})

		signs := !k.ActiveFrom.After(now) && (k.RetiredAt.IsZero() || k.RetiredAt.After(now))
		if ring.signing == nil && signs {
			sk, err := openSigningKey(k, sealer)
			if err != nil {
				return nil, err
			}
			ring.signing = sk
		}
	}
	return ring, nil
}

func openSigningKey(k store.SigningKey, sealer *secret.Sealer) (*signingKey, error) {
	der, err := sealer.Open(k.PrivateEncrypted, k.ID)
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s has unsupported type %T", k.ID, parsed)
	}
	return &signingKey{id: k.ID, alg: jose.SignatureAlgorithm(k.Algorithm), key: signer}, nil
}

// keyRingCache keeps the key ring for cacheTTL, because the library requests
// the signing key for every token and the key set for every id_token_hint
// and /keys request.
type keyRingCache struct {
	st     store.SigningKeys
	sealer *secret.Sealer
	now    func() time.Time

	mu       sync.Mutex
	ring     *keyRing
	loadedAt time.Time
}

func (c *keyRingCache) get(ctx context.Context) (*keyRing, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring != nil && time.Since(c.loadedAt) < cacheTTL {
		return c.ring, nil
	}
	ring, err := loadKeyRing(ctx, c.st, c.sealer, c.now())
	if err != nil {
		return nil, err
	}
	c.ring, c.loadedAt = ring, time.Now()
	return ring, nil
}

// SigningKey implements op.AuthStorage.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	ring, err := s.ring.get(ctx)
	if err != nil {
		return nil, err
	}
	if ring.signing == nil {
		return nil, errNoSigningKey
	}
	return ring.signing, nil
}

// SignatureAlgorithms implements op.AuthStorage for discovery.
func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	k, err := s.SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return []jose.SignatureAlgorithm{k.SignatureAlgorithm()}, nil
}

// KeySet implements op.AuthStorage: every published key, including retired
// ones whose tokens may still be verified.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	ring, err := s.ring.get(ctx)
	if err != nil {
		return nil, err
	}
	return ring.published, nil
}
