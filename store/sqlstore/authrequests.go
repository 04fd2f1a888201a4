package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const authRequestColumns = `id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
	code_challenge, code_challenge_method, prompt, max_age, acr_values, acr_essential, ui_locales, login_hint, hint_subject,
	created_at, expires_at, browser_hash, subject, auth_time, amr, acr, session_id, done_at, code_used_at`

type authRequestRow struct {
	ID                  string `db:"id"`
	ClientID            string `db:"client_id"`
	RedirectURI         string `db:"redirect_uri"`
	State               string `db:"state"`
	Nonce               string `db:"nonce"`
	Scopes              list   `db:"scopes"`
	ResponseType        string `db:"response_type"`
	ResponseMode        string `db:"response_mode"`
	CodeChallenge       string `db:"code_challenge"`
	CodeChallengeMethod string `db:"code_challenge_method"`
	Prompt              list   `db:"prompt"`
	MaxAge              *int64 `db:"max_age"`
	ACRValues           list   `db:"acr_values"`
	ACREssential        list   `db:"acr_essential"`
	UILocales           list   `db:"ui_locales"`
	LoginHint           string `db:"login_hint"`
	HintSubject         string `db:"hint_subject"`
	CreatedAt           millis `db:"created_at"`
	ExpiresAt           millis `db:"expires_at"`
	BrowserHash         string `db:"browser_hash"`
	Subject             string `db:"subject"`
	AuthTime            millis `db:"auth_time"`
	AMR                 list   `db:"amr"`
	ACR                 string `db:"acr"`
	SessionID           string `db:"session_id"`
	DoneAt              millis `db:"done_at"`
	CodeUsedAt          millis `db:"code_used_at"`
}

func toAuthRequestRow(r store.AuthRequest) authRequestRow {
	return authRequestRow{
		ID: r.ID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: r.ResponseType, ResponseMode: r.ResponseMode,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt,
		MaxAge: r.MaxAge, ACRValues: r.ACRValues, ACREssential: r.ACREssential, UILocales: r.UILocales, LoginHint: r.LoginHint,
		HintSubject: r.HintSubject, CreatedAt: ms(r.CreatedAt), ExpiresAt: ms(r.ExpiresAt),
		BrowserHash: r.BrowserHash, Subject: r.Subject, AuthTime: ms(r.AuthTime), AMR: r.AMR, ACR: r.ACR,
		SessionID: r.SessionID, DoneAt: ms(r.DoneAt), CodeUsedAt: ms(r.CodeUsedAt),
	}
}

func (r authRequestRow) authRequest() store.AuthRequest {
	return store.AuthRequest{
		ID: r.ID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: r.ResponseType, ResponseMode: r.ResponseMode,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt,
		MaxAge: r.MaxAge, ACRValues: r.ACRValues, ACREssential: r.ACREssential, UILocales: r.UILocales, LoginHint: r.LoginHint,
		HintSubject: r.HintSubject, CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time,
		BrowserHash: r.BrowserHash, Subject: r.Subject, AuthTime: r.AuthTime.Time, AMR: r.AMR, ACR: r.ACR,
		SessionID: r.SessionID, DoneAt: r.DoneAt.Time, CodeUsedAt: r.CodeUsedAt.Time,
	}
}

// CreateAuthRequest inserts r; a taken ID is store.ErrAlreadyExists. The
// code fields start empty whatever r holds.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	const op = "create auth request"
	if r.ID == "" || r.ExpiresAt.IsZero() {
		return fmt.Errorf("%s: ID and expiry time are required", op)
	}
	r.CodeUsedAt = time.Time{}
	return s.insert(ctx, s.write, op, `INSERT INTO auth_requests (`+authRequestColumns+`) VALUES (:id, :client_id,
		:redirect_uri, :state, :nonce, :scopes, :response_type, :response_mode, :code_challenge,
		:code_challenge_method, :prompt, :max_age, :acr_values, :acr_essential, :ui_locales, :login_hint, :hint_subject,
		:created_at, :expires_at, :browser_hash, :subject, :auth_time, :amr, :acr, :session_id, :done_at,
		:code_used_at)`, toAuthRequestRow(r))
}

// AuthRequestByID returns the request unless it is missing or expired at
// now.
func (s *Store) AuthRequestByID(ctx context.Context, id string, now time.Time) (store.AuthRequest, error) {
	var r authRequestRow
	err := s.get(ctx, s.read, "get auth request", &r, `SELECT `+authRequestColumns+` FROM auth_requests
		WHERE id = ? AND expires_at > ?`, id, now.UnixMilli())
	return r.authRequest(), err
}

// BindAuthRequest binds the request to browserHash once.
func (s *Store) BindAuthRequest(ctx context.Context, id, browserHash string) error {
	const op = "bind auth request"
	if browserHash == "" {
		return fmt.Errorf("%s: empty browser hash", op)
	}
	n, err := s.exec(ctx, s.write, op, `UPDATE auth_requests SET browser_hash = ?
		WHERE id = ? AND (browser_hash = '' OR browser_hash = ?)`, browserHash, id, browserHash)
	if err != nil || n == 1 {
		return err
	}
	return s.explainAuthRequestMiss(ctx, op, id, time.Time{})
}

// CompleteAuthRequest marks the request done for browserHash. A request
// that no browser has bound yet is bound to browserHash on the way.
func (s *Store) CompleteAuthRequest(ctx context.Context, id, browserHash string, c store.Completion, now time.Time) error {
	const op = "complete auth request"
	if browserHash == "" || c.Subject == "" {
		return fmt.Errorf("%s: browser hash and subject are required", op)
	}
	amr, err := list(c.AMR).Value()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	n, err := s.exec(ctx, s.write, op, `UPDATE auth_requests SET browser_hash = ?, subject = ?, auth_time = ?,
			amr = ?, acr = ?, session_id = ?, done_at = ?
		WHERE id = ? AND expires_at > ? AND (browser_hash = '' OR browser_hash = ?) AND code_hash IS NULL`,
		browserHash, c.Subject, msOrNull(c.AuthTime), amr, c.ACR, c.SessionID, now.UnixMilli(),
		id, now.UnixMilli(), browserHash)
	if err != nil || n == 1 {
		return err
	}
	return s.explainAuthRequestMiss(ctx, op, id, now)
}

// explainAuthRequestMiss returns store.ErrNotFound when the request is
// missing (or expired at now, unless now is zero) and store.ErrConflict
// otherwise, after a conditional UPDATE changed nothing.
func (s *Store) explainAuthRequestMiss(ctx context.Context, op, id string, now time.Time) error {
	var expiresAt millis
	err := s.get(ctx, s.read, op, &expiresAt, `SELECT expires_at FROM auth_requests WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if !now.IsZero() && !expiresAt.After(now) {
		return fmt.Errorf("%s: expired: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, store.ErrConflict)
}

// SaveAuthCode stores the code hash once for a done request. A request that
// is not done, or already has a code, is store.ErrConflict.
func (s *Store) SaveAuthCode(ctx context.Context, id, codeHash string, expiresAt time.Time) error {
	const op = "save auth code"
	if codeHash == "" || expiresAt.IsZero() {
		return fmt.Errorf("%s: code hash and expiry time are required", op)
	}
	n, err := s.exec(ctx, s.write, op, `UPDATE auth_requests SET code_hash = ?, code_expires_at = ?
		WHERE id = ? AND done_at IS NOT NULL AND code_hash IS NULL`, codeHash, expiresAt.UnixMilli(), id)
	if err != nil || n == 1 {
		return err
	}
	return s.explainAuthRequestMiss(ctx, op, id, time.Time{})
}

// RedeemAuthCode consumes the code with one conditional UPDATE, so of
// concurrent redemptions exactly one wins. A code presented again revokes
// every token issued from its request, and marks the request replayed so
// that tokens the winner is still about to store are born revoked.
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash string, now time.Time) (store.AuthRequest, error) {
	const op = "redeem auth code"
	var r authRequestRow
	err := s.get(ctx, s.write, op, &r, `UPDATE auth_requests SET code_used_at = ?
		WHERE code_hash = ? AND code_used_at IS NULL AND code_expires_at > ?
		RETURNING `+authRequestColumns, now.UnixMilli(), codeHash, now.UnixMilli())
	if err == nil {
		return r.authRequest(), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.AuthRequest{}, err
	}

	// A used code is a replay: revoke what it issued, commit, then report.
	var id string
	err = s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		err := s.get(ctx, tx, op, &id, `UPDATE auth_requests SET replayed_at = ?
			WHERE code_hash = ? AND code_used_at IS NOT NULL RETURNING id`, now.UnixMilli(), codeHash)
		if err != nil {
			return err // unknown, or expired before use
		}
		return s.revokeAuthRequestTokens(ctx, tx, op, id, now)
	})
	if err != nil {
		return store.AuthRequest{}, err
	}
	s.logger.Warn("authorization code replayed, tokens revoked", "auth_request_id", id)
	return store.AuthRequest{}, fmt.Errorf("%s: %w", op, store.ErrReused)
}

// revokeAuthRequestTokens revokes the access tokens issued from the auth
// request and every refresh family that grew from it.
func (s *Store) revokeAuthRequestTokens(ctx context.Context, tx *sqlx.Tx, op, id string, now time.Time) error {
	var families []string
	if err := s.selectRows(ctx, tx, op, &families,
		`SELECT DISTINCT family_id FROM refresh_tokens WHERE auth_request_id = ?`, id); err != nil {
		return err
	}
	for _, f := range families {
		if err := s.revokeFamily(ctx, tx, op, f, now); err != nil {
			return err
		}
	}
	_, err := s.exec(ctx, tx, op, `UPDATE access_tokens SET revoked_at = ?
		WHERE auth_request_id = ? AND revoked_at IS NULL`, now.UnixMilli(), id)
	return err
}

// DeleteAuthRequest deletes a request that has no code; a request with a
// code stays until Purge, so a replayed code is still detected.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.exec(ctx, s.write, "delete auth request", `DELETE FROM auth_requests WHERE id = ? AND code_hash IS NULL`, id)
	return err
}
