-- Back-channel logout: the clients that received tokens under each
-- session, the mark of sessions whose end was queued, and the delivery
-- queue that every node shares.

CREATE TABLE session_clients (
    session_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_at BIGINT,
    PRIMARY KEY (session_id, client_id)
);

ALTER TABLE sessions ADD COLUMN logout_queued_at BIGINT;
UPDATE sessions SET logout_queued_at = revoked_at WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_logout_pending ON sessions (revoked_at)
    WHERE revoked_at IS NOT NULL AND logout_queued_at IS NULL;

CREATE TABLE logout_deliveries (
    session_id      TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    uri             TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX logout_deliveries_next_attempt_at ON logout_deliveries (next_attempt_at);
