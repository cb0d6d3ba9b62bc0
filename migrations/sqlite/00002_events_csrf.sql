-- +goose Up
-- The audit trail of client-account changes, written by the store in the
-- transaction of each change. No foreign key to clients: the events of a
-- deleted client stay.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor      TEXT     NOT NULL,
    action     TEXT     NOT NULL,
    client_id  TEXT     NOT NULL DEFAULT '',
    detail     TEXT     NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
-- Newest first: ORDER BY created_at DESC, id DESC reads this index backwards.
CREATE INDEX events_created_at_idx ON events (created_at, id);

-- CSRF tokens of the console's forms, shared by every instance. key_hash is
-- the SHA-256 (hex) of the token: the token itself is never stored.
-- expires_at is NULL for an entry that does not expire.
CREATE TABLE csrf_tokens (
    key_hash   TEXT PRIMARY KEY,
    value      BLOB     NOT NULL,
    expires_at DATETIME
);
CREATE INDEX csrf_tokens_expires_at_idx ON csrf_tokens (expires_at);

-- +goose Down
DROP TABLE csrf_tokens;
DROP TABLE events;
