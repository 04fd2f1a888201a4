package idp

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// GenerateSigningKey creates an RS256 signing key with a random ID that
// signs from now on; NewSigningKey creates other algorithms and times.
func GenerateSigningKey(keys *secret.Keys, now time.Time) (store.SigningKey, error) {
	return NewSigningKey(keys, AlgRS256, secret.ID(), now, now)
}

// RotateSigningKey stores a new RS256 signing key that signs from now on
// and retires every other key at once. A retired key stays published for
// retention (DefaultRetiredKeyRetention when zero) so that tokens it
// signed remain verifiable. Other nodes publish the new key only once
// their key cache expires, within 5 seconds, so ScheduleSigningKey with a
// later activation time is the gentler rotation; this one is for a key
// that may be compromised.
func RotateSigningKey(ctx context.Context, st store.SigningKeys, keys *secret.Keys, now time.Time, retention time.Duration) (store.SigningKey, error) {
	return ScheduleSigningKey(ctx, st, keys, KeyPolicy{Retention: retention}, now, now)
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
// that signs: the one activated last among those whose activation time has
// come and that are not retired.
func loadKeyRing(ctx context.Context, st store.SigningKeys, sealer *secret.Sealer, now time.Time) (*keyRing, error) {
	stored, err := keysByActivation(ctx, st, now)
	if err != nil {
		return nil, err
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

// SignatureAlgorithms implements op.AuthStorage for discovery: the
// algorithm that signs now, then those of the other published keys. A
// relying party that accepts only the algorithms in discovery (go-oidc
// does) thus still verifies tokens of a retired RS256 key after a switch
// to ES256, and tokens of a next key before its handover.
func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	ring, err := s.ring.get(ctx)
	if err != nil {
		return nil, err
	}
	if ring.signing == nil {
		return nil, errNoSigningKey
	}
	algs := []jose.SignatureAlgorithm{ring.signing.alg}
	for _, k := range ring.published {
		if !slices.Contains(algs, k.Algorithm()) {
			algs = append(algs, k.Algorithm())
		}
	}
	return algs, nil
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
