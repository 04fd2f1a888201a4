package sqlstore

import (
	"context"
	"time"

	"github.com/hotelsoft/idp/store"
)

// AuthRequestByCodeHash returns the request holding the code, used or
// unused and unexpired at now, with a plain read; see RedeemAuthCode for
// the matching conditions.
func (s *Store) AuthRequestByCodeHash(ctx context.Context, codeHash string, now time.Time) (store.AuthRequest, error) {
	var r authRequestRow
	err := s.get(ctx, s.read, "get auth request by code", &r, `SELECT `+authRequestColumns+` FROM auth_requests
		WHERE code_hash = ? AND (code_used_at IS NOT NULL OR code_expires_at > ?)`, codeHash, now.UnixMilli())
	return r.authRequest(), err
}
