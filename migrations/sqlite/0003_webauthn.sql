-- Security keys and passkeys (WebAuthn), their ceremonies, and the
-- essential acr values of the claims request parameter.

CREATE TABLE webauthn_handles (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  TEXT NOT NULL UNIQUE
);

CREATE TABLE webauthn_credentials (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      TEXT NOT NULL UNIQUE,
    public_key         BLOB NOT NULL,
    attestation_format TEXT NOT NULL,
    aaguid             BLOB,
    transports         TEXT NOT NULL,
    attachment         TEXT NOT NULL,
    name               TEXT NOT NULL,
    sign_count         BIGINT NOT NULL,
    backup_eligible    INTEGER NOT NULL,
    backup_state       INTEGER NOT NULL,
    user_verified      INTEGER NOT NULL,
    created_at         BIGINT,
    last_used_at       BIGINT
);
CREATE INDEX webauthn_credentials_user_id ON webauthn_credentials (user_id);

CREATE TABLE webauthn_ceremonies (
    ceremony_key TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_at   BIGINT,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);

ALTER TABLE auth_requests ADD COLUMN acr_essential TEXT NOT NULL DEFAULT '[]';
