-- Initial schema. Times are Unix milliseconds (NULL = not set) and lists
-- are JSON arrays in TEXT, so both dialects scan into the same Go types.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    locale            TEXT NOT NULL,
    status            TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    terms_accepted_at BIGINT,
    created_at        BIGINT,
    last_sign_in_at   BIGINT
);

CREATE TABLE grants (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission  TEXT NOT NULL,
    property_id TEXT NOT NULL,
    PRIMARY KEY (user_id, permission, property_id)
);

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    voided_at  BIGINT
);
CREATE INDEX invitations_user_id ON invitations (user_id);
CREATE INDEX invitations_expires_at ON invitations (expires_at);

CREATE TABLE totp_credentials (
    user_id          TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted BYTEA NOT NULL,
    created_at       BIGINT,
    confirmed_at     BIGINT,
    last_step        BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,
    application_type          TEXT NOT NULL,
    auth_method               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    post_lock_redirect_uris   TEXT NOT NULL,
    backchannel_logout_uri    TEXT NOT NULL,
    created_at                BIGINT
);

CREATE TABLE auth_requests (
    id                      TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    state                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    prompt                TEXT NOT NULL,
    max_age               BIGINT,
    acr_values            TEXT NOT NULL,
    ui_locales            TEXT NOT NULL,
    login_hint            TEXT NOT NULL,
    hint_subject          TEXT NOT NULL,
    created_at            BIGINT,
    expires_at            BIGINT NOT NULL,
    browser_hash          TEXT NOT NULL,
    subject               TEXT NOT NULL,
    auth_time             BIGINT,
    amr                   TEXT NOT NULL,
    acr                   TEXT NOT NULL,
    session_id            TEXT NOT NULL,
    done_at               BIGINT,
    code_hash             TEXT UNIQUE,
    code_expires_at       BIGINT,
    code_used_at          BIGINT,
    replayed_at           BIGINT
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);
CREATE INDEX auth_requests_client_id ON auth_requests (client_id);

CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    user_id          TEXT NOT NULL,
    created_at       BIGINT,
    updated_at       BIGINT,
    expires_at       BIGINT NOT NULL,
    auth_time        BIGINT,
    amr              TEXT NOT NULL,
    acr              TEXT NOT NULL,
    complete         BOOLEAN NOT NULL,
    second_factor_at BIGINT,
    locked_at        BIGINT,
    revoked_at       BIGINT,
    user_agent       TEXT NOT NULL,
    client_ip        TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE access_tokens (
    id                 TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    audience         TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    amr              TEXT NOT NULL,
    acr              TEXT NOT NULL,
    auth_time        BIGINT,
    session_id       TEXT NOT NULL,
    auth_request_id  TEXT NOT NULL,
    refresh_token_id TEXT NOT NULL,
    created_at       BIGINT,
    expires_at       BIGINT NOT NULL,
    revoked_at       BIGINT
);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_subject ON access_tokens (subject);
CREATE INDEX access_tokens_session_id ON access_tokens (session_id);
CREATE INDEX access_tokens_auth_request_id ON access_tokens (auth_request_id);
CREATE INDEX access_tokens_refresh_token_id ON access_tokens (refresh_token_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    id                TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    family_id       TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    audience        TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    amr             TEXT NOT NULL,
    acr             TEXT NOT NULL,
    auth_time       BIGINT,
    session_id      TEXT NOT NULL,
    auth_request_id TEXT NOT NULL,
    created_at      BIGINT,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_auth_request_id ON refresh_tokens (auth_request_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    id                  TEXT PRIMARY KEY,
    algorithm         TEXT NOT NULL,
    private_encrypted BYTEA NOT NULL,
    public_jwk        BYTEA NOT NULL,
    created_at        BIGINT,
    active_from       BIGINT,
    retired_at        BIGINT,
    expires_at        BIGINT
);

CREATE TABLE throttle_counters (
    counter_key     TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT,
    window_start    BIGINT,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX throttle_counters_expires_at ON throttle_counters (expires_at);

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    event       TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    ip          TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_user_id_occurred_at ON audit_events (user_id, occurred_at);
CREATE INDEX audit_events_event_occurred_at ON audit_events (event, occurred_at);
