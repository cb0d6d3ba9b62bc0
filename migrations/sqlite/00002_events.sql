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

-- +goose Down
DROP TABLE events;
