-- Properties (hotels), user memberships, the 2FA exception list and the
-- grants of clients that call the admin API.

CREATE TABLE properties (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT
);

CREATE TABLE user_properties (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, property_id)
);
CREATE INDEX user_properties_property_id ON user_properties (property_id, user_id);

CREATE TABLE exemptions (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ends_at    BIGINT
);
CREATE INDEX exemptions_ends_at ON exemptions (ends_at);

CREATE TABLE client_grants (
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    permission  TEXT NOT NULL,
    property_id TEXT NOT NULL,
    PRIMARY KEY (client_id, permission, property_id)
);

CREATE INDEX users_status_email_key ON users (status, email_key);
