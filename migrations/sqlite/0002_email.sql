-- Email delivery (the outbox), email second factor and forgot password.

-- outbox holds every email from the transaction that caused it until the
-- sender delivers it. Subject and bodies are sealed under the master key.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    language        TEXT NOT NULL,
    subject_sealed  BLOB NOT NULL,
    text_sealed     BLOB NOT NULL,
    html_sealed     BLOB NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    sent_at         BIGINT,
    failed_at       BIGINT,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    lease_token     TEXT NOT NULL,
    lease_until     BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE email_challenges (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    binding_hash    TEXT NOT NULL,
    link_hash       TEXT,
    code_hash       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    link_expires_at BIGINT,
    code_expires_at BIGINT NOT NULL,
    attempts        INTEGER NOT NULL,
    verified_at     BIGINT,
    used_at         BIGINT,
    voided_at       BIGINT
);
CREATE UNIQUE INDEX email_challenges_link_hash ON email_challenges (link_hash);
CREATE INDEX email_challenges_binding ON email_challenges (binding_hash, created_at);
CREATE INDEX email_challenges_user_id ON email_challenges (user_id);

-- email_methods lists the users who activated the email second factor.
CREATE TABLE email_methods (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    confirmed_at BIGINT NOT NULL
);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    factor_at  BIGINT,
    used_at    BIGINT,
    voided_at  BIGINT
);
CREATE INDEX password_resets_user_id ON password_resets (user_id);
