package idp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// Signing algorithms that NewSigningKey creates keys for.
const (
	AlgRS256 = string(jose.RS256) // RSA 2048-bit, PKCS #1 v1.5 with SHA-256
	AlgES256 = string(jose.ES256) // ECDSA P-256 with SHA-256, much cheaper to sign with
)

// minPublishAhead is the shortest time a scheduled key is published before
// it signs: twice the key cache's lifetime, so that every node of a
// cluster serves the key in its JWKS before any node signs with it.
const minPublishAhead = 2 * cacheTTL

// purposeKeyID derives the IDs of the initial and scheduled keys.
const purposeKeyID = "signing-key-id"

// KeyPolicy is the algorithm and schedule of signing keys.
type KeyPolicy struct {
	// Algorithm of new keys: AlgRS256 (the default when empty) or AlgES256.
	Algorithm string
	// Rotation is how long a key signs before its successor takes over;
	// zero turns automatic rotation off.
	Rotation time.Duration
	// PublishAhead is how long a new key is published in the key set
	// before it signs. Relying parties that cache the key set for less
	// than this never see a token signed by a key they do not know. It is
	// raised to 10 s, twice the provider's own key cache.
	PublishAhead time.Duration
	// Retention is how long a retired key stays published. It must exceed
	// the lifetime of every token the key signed and the time an ID token
	// is accepted as id_token_hint. Zero means DefaultRetiredKeyRetention.
	Retention time.Duration
}

func (p KeyPolicy) withDefaults() KeyPolicy {
	if p.Algorithm == "" {
		p.Algorithm = AlgRS256
	}
	p.PublishAhead = max(p.PublishAhead, minPublishAhead)
	if p.Retention <= 0 {
		p.Retention = DefaultRetiredKeyRetention
	}
	return p
}

// Validate reports an unknown algorithm or a lead time that leaves no
// time to sign.
func (p KeyPolicy) Validate() error {
	if p.Algorithm != "" && p.Algorithm != AlgRS256 && p.Algorithm != AlgES256 {
		return fmt.Errorf("signing algorithm %q: want %s or %s", p.Algorithm, AlgRS256, AlgES256)
	}
	if p.Rotation > 0 && p.withDefaults().PublishAhead >= p.Rotation {
		return fmt.Errorf("key publication lead %v must be shorter than the rotation period %v", p.withDefaults().PublishAhead, p.Rotation)
	}
	return nil
}

// NewSigningKey creates a key of algorithm alg with the given ID that
// signs from activeFrom on. The private key is PKCS #8, sealed under the
// master key with the key ID as label, so a ciphertext copied to another
// row does not open.
func NewSigningKey(keys *secret.Keys, alg, id string, now, activeFrom time.Time) (store.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgRS256, "":
		alg = AlgRS256
		priv, err = rsa.GenerateKey(rand.Reader, signingKeyBits)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return store.SigningKey{}, fmt.Errorf("generate signing key: unsupported algorithm %q", alg)
	}
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	jwk := jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: alg, Use: "sig"}
	pub, err := jwk.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode public key: %w", err)
	}
	return store.SigningKey{
		ID:               id,
		Algorithm:        alg,
		PrivateEncrypted: keys.Sealer().Seal(der, id),
		PublicJWK:        pub,
		CreatedAt:        now,
		ActiveFrom:       activeFrom,
	}, nil
}

// successorID returns the ID of the key scheduled after the key with ID
// predecessor ("" for the first key of a database). Every node derives
// the same ID, so when two nodes schedule the same successor at once, the
// second insert fails with store.ErrAlreadyExists and one key results.
func successorID(keys *secret.Keys, predecessor string) string {
	return keys.MAC(purposeKeyID, predecessor)[:22]
}

// EnsureSigningKey stores a key that signs from now on when no stored key
// signs at now or is due to, and reports whether it created one. Nodes
// that start together on an empty database derive the same key ID, so
// exactly one key is stored.
func EnsureSigningKey(ctx context.Context, st store.SigningKeys, keys *secret.Keys, p KeyPolicy, now time.Time) (bool, error) {
	// One read decides, so that a key another node inserts meanwhile is
	// either seen here or collides with the key created here.
	stored, err := keysByActivation(ctx, st, now)
	if err != nil {
		return false, err
	}
	for _, k := range stored {
		if k.RetiredAt.IsZero() || k.RetiredAt.After(now) {
			return false, nil // a key signs now or will, even if its activation is a moment ahead of this clock
		}
	}
	predecessor := ""
	if len(stored) > 0 {
		predecessor = stored[0].ID // every key was retired: start a new chain
	}
	// The key signs from a minute ago, so that nodes whose clocks run a
	// little behind this one's also find it active.
	k, err := NewSigningKey(keys, p.withDefaults().Algorithm, successorID(keys, predecessor), now, now.Add(-time.Minute))
	if err != nil {
		return false, err
	}
	err = st.CreateSigningKey(ctx, k)
	if errors.Is(err, store.ErrAlreadyExists) {
		// Another node created it first, unless the derived ID belongs to
		// a key that expired long ago; then start over with a random ID.
		if stored, err = st.SigningKeys(ctx, now); err != nil || published(stored, k.ID) {
			return false, err
		}
		if k, err = NewSigningKey(keys, k.Algorithm, secret.ID(), now, k.ActiveFrom); err != nil {
			return false, err
		}
		err = st.CreateSigningKey(ctx, k)
	}
	if err != nil {
		return false, fmt.Errorf("store signing key: %w", err)
	}
	return true, retireOthers(ctx, st, p.withDefaults(), k, now)
}

// published reports whether a key with the given ID is among keys.
func published(keys []store.SigningKey, id string) bool {
	return slices.ContainsFunc(keys, func(k store.SigningKey) bool { return k.ID == id })
}

// MaintainSigningKeys performs what automatic rotation needs at now and
// returns the key it created, if any. When the newest key signs and its
// successor is due within p.PublishAhead, it publishes the successor,
// which signs from the newest key's activation time plus p.Rotation (or
// from now plus p.PublishAhead, when that is later). Every key older than
// the newest is retired at the newest key's activation time. Every node
// calls it periodically; concurrent calls create one successor.
func MaintainSigningKeys(ctx context.Context, st store.SigningKeys, keys *secret.Keys, p KeyPolicy, now time.Time) (*store.SigningKey, error) {
	p = p.withDefaults()
	newest, ok, err := chainHead(ctx, st, now)
	if err != nil || !ok {
		return nil, err // without a key, EnsureSigningKey creates the first
	}
	if err := retireOthers(ctx, st, p, newest, now); err != nil {
		return nil, err
	}
	if p.Rotation <= 0 || newest.ActiveFrom.After(now) {
		return nil, nil // no automatic rotation, or the successor is already published
	}
	due := newest.ActiveFrom.Add(p.Rotation)
	if now.Before(due.Add(-p.PublishAhead)) {
		return nil, nil
	}
	k, err := NewSigningKey(keys, p.Algorithm, successorID(keys, newest.ID), now, later(due, now.Add(p.PublishAhead)))
	if err != nil {
		return nil, err
	}
	err = st.CreateSigningKey(ctx, k)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, nil // another node was first
	}
	if err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return &k, retireOthers(ctx, st, p, k, now)
}

// ScheduleSigningKey stores a new key with a random ID that signs from
// activeFrom on and retires every older key at that time. An activeFrom of
// now replaces a compromised key at once. Relying parties that cached the
// key set then fail to verify new tokens until they fetch it again.
func ScheduleSigningKey(ctx context.Context, st store.SigningKeys, keys *secret.Keys, p KeyPolicy, now, activeFrom time.Time) (store.SigningKey, error) {
	p = p.withDefaults()
	k, err := NewSigningKey(keys, p.Algorithm, secret.ID(), now, activeFrom)
	if err != nil {
		return store.SigningKey{}, err
	}
	if err := st.CreateSigningKey(ctx, k); err != nil {
		return store.SigningKey{}, fmt.Errorf("store signing key: %w", err)
	}
	return k, retireOthers(ctx, st, p, k, now)
}

// chainHead returns the key that signs last in the current schedule: the
// key activated last among those not retired. Only one key is unretired
// once retireOthers has run; should several be (nodes that created keys
// at once), the latest activated one wins and the others are retired.
func chainHead(ctx context.Context, st store.SigningKeys, now time.Time) (store.SigningKey, bool, error) {
	stored, err := keysByActivation(ctx, st, now)
	if err != nil {
		return store.SigningKey{}, false, err
	}
	for _, k := range stored {
		if k.RetiredAt.IsZero() {
			return k, true, nil
		}
	}
	return store.SigningKey{}, false, nil
}

// retireOthers retires every unretired key but head at head's activation
// time, so head takes over then and the others stay published for
// p.Retention after it. A key retired at the moment head activates no
// longer signs, even when both activated in the same millisecond. Keys
// already retired keep their times, so repeating it changes nothing and
// it is safe on many nodes.
func retireOthers(ctx context.Context, st store.SigningKeys, p KeyPolicy, head store.SigningKey, now time.Time) error {
	stored, err := st.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	handover := head.ActiveFrom
	for _, old := range stored {
		if old.ID == head.ID || !old.RetiredAt.IsZero() {
			continue
		}
		if err := st.RetireSigningKey(ctx, old.ID, handover, handover.Add(p.Retention)); err != nil {
			return fmt.Errorf("retire signing key %s: %w", old.ID, err)
		}
	}
	return nil
}

// keysByActivation returns the keys published at now, the latest
// activation time first. Keys activated at the same time keep the store's
// order (newest created first, then by ID), so every node sorts alike. The
// first key in this order whose activation has come and that is not
// retired is the one that signs.
func keysByActivation(ctx context.Context, st store.SigningKeys, now time.Time) ([]store.SigningKey, error) {
	stored, err := st.SigningKeys(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	slices.SortStableFunc(stored, func(a, b store.SigningKey) int {
		return b.ActiveFrom.Compare(a.ActiveFrom)
	})
	return stored, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Key states that ListSigningKeys reports.
const (
	KeyStateNext    = "next"    // published, signs from ActiveFrom on
	KeyStateSigning = "signing" // signs new tokens now
	KeyStateRetired = "retired" // published until ExpiresAt, signs nothing
)

// KeyInfo describes a stored signing key without its private half.
type KeyInfo struct {
	ID         string    `json:"key_id"`
	Algorithm  string    `json:"algorithm"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	ActiveFrom time.Time `json:"active_from"`
	RetiredAt  time.Time `json:"retired_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// ListSigningKeys returns every published key at now, newest first, with
// its state.
func ListSigningKeys(ctx context.Context, st store.SigningKeys, now time.Time) ([]KeyInfo, error) {
	stored, err := keysByActivation(ctx, st, now)
	if err != nil {
		return nil, err
	}
	infos := make([]KeyInfo, 0, len(stored))
	signerFound := false
	for _, k := range stored {
		info := KeyInfo{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActiveFrom: k.ActiveFrom, RetiredAt: k.RetiredAt, ExpiresAt: k.ExpiresAt}
		signs := !k.ActiveFrom.After(now) && (k.RetiredAt.IsZero() || k.RetiredAt.After(now))
		neverSigns := !k.RetiredAt.IsZero() && !k.RetiredAt.After(k.ActiveFrom)
		switch {
		case k.ActiveFrom.After(now) && !neverSigns:
			info.State = KeyStateNext
		case signs && !signerFound:
			info.State, signerFound = KeyStateSigning, true
		default:
			info.State = KeyStateRetired
		}
		infos = append(infos, info)
	}
	return infos, nil
}
