-- +goose Up
CREATE TABLE clients (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id           TEXT     NOT NULL,
    status              TEXT     NOT NULL CHECK (status IN ('Active', 'Inactive', 'Suspended')),
    agent_id            TEXT     NOT NULL,
    twilio_phone_number TEXT     NOT NULL,
    full_name           TEXT     NOT NULL,
    email               TEXT     NOT NULL,
    -- email_key is the lower-cased email: uniqueness ignores letter case.
    email_key           TEXT     NOT NULL,
    phone               TEXT     NOT NULL,
    business_name       TEXT     NOT NULL DEFAULT '',
    city                TEXT     NOT NULL DEFAULT '',
    job_title           TEXT     NOT NULL DEFAULT '',
    notes               TEXT     NOT NULL DEFAULT '',
    -- search_key is name, email and business lower-cased in Go, so that search
    -- ignores case beyond ASCII (SQLite's LOWER does not).
    search_key          TEXT     NOT NULL DEFAULT '',
    secret_hash         TEXT     NOT NULL,
    token_version       INTEGER  NOT NULL,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);
CREATE UNIQUE INDEX clients_client_id_key ON clients (client_id);
CREATE UNIQUE INDEX clients_email_key_key ON clients (email_key);
CREATE INDEX clients_created_at_idx ON clients (created_at, id);
CREATE INDEX clients_status_created_at_idx ON clients (status, created_at, id);

CREATE TABLE admins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT     NOT NULL UNIQUE,
    password_hash TEXT     NOT NULL,
    token_version INTEGER  NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

-- Tokens ended early by a logout or a refresh. A secret change ends all of a
-- client's tokens through clients.token_version instead, and deletes its rows here.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    client_id  TEXT REFERENCES clients (client_id) ON DELETE CASCADE,
    expires_at DATETIME,
    revoked_at DATETIME NOT NULL
);
CREATE INDEX revoked_tokens_client_id_idx ON revoked_tokens (client_id);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);

-- Server-wide values generated once, such as the token signing secret.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE revoked_tokens;
DROP TABLE admins;
DROP TABLE clients;
