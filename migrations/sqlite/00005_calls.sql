-- +goose Up
-- Outbound calls. A call belongs to the client account that placed it
-- (client_pk), not to its clientId: no foreign key, so the calls outlive a
-- deleted client (clients.id is AUTOINCREMENT, never reused), and a client
-- created later under the same clientId has another id and sees none of
-- them. client_id and client_name keep what the account was called, for the
-- console. The transcript (JSON) is read only by the single-call reads.
CREATE TABLE calls (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id            TEXT     NOT NULL,
    client_pk          INTEGER  NOT NULL,
    client_id          TEXT     NOT NULL,
    client_name        TEXT     NOT NULL DEFAULT '',
    status             TEXT     NOT NULL CHECK (status IN ('queued', 'initiated', 'in-progress', 'completed', 'failed')),
    to_number          TEXT     NOT NULL,
    from_number        TEXT     NOT NULL,
    agent_id           TEXT     NOT NULL,
    conversation_id    TEXT     NOT NULL DEFAULT '',
    call_sid           TEXT     NOT NULL DEFAULT '',
    requested_by       TEXT     NOT NULL,
    first_message      TEXT     NOT NULL DEFAULT '',
    start_time         DATETIME,
    end_time           DATETIME,
    duration_secs      INTEGER  NOT NULL DEFAULT 0,
    outcome            TEXT     NOT NULL DEFAULT '',
    summary            TEXT     NOT NULL DEFAULT '',
    termination_reason TEXT     NOT NULL DEFAULT '',
    error              TEXT     NOT NULL DEFAULT '',
    simulated          BOOLEAN  NOT NULL DEFAULT FALSE,
    transcript         TEXT     NOT NULL DEFAULT '[]',
    -- The reconciler's claim: no other claim takes the call before then.
    lease_until        DATETIME,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE UNIQUE INDEX calls_call_id_key ON calls (call_id);
-- Webhooks find their call by conversation; a call not dialled yet has none.
CREATE UNIQUE INDEX calls_conversation_id_key ON calls (conversation_id) WHERE conversation_id <> '';
-- A client's listing, newest first, and its counts: all, by status, and the
-- last hour's for the hourly limit.
CREATE INDEX calls_client_pk_created_at_idx ON calls (client_pk, created_at, call_id);
CREATE INDEX calls_client_pk_status_created_at_idx ON calls (client_pk, status, created_at, call_id);
-- The admin's keyset pages: every call, by status, by the clientId recorded
-- (a deleted client's calls included), by both.
CREATE INDEX calls_created_at_idx ON calls (created_at, call_id);
CREATE INDEX calls_status_created_at_idx ON calls (status, created_at, call_id);
CREATE INDEX calls_client_id_created_at_idx ON calls (client_id, created_at, call_id);
CREATE INDEX calls_client_id_status_created_at_idx ON calls (client_id, status, created_at, call_id);
-- The reconciler: calls left in one status too long.
CREATE INDEX calls_status_updated_at_idx ON calls (status, updated_at);

-- Numbers a client's calls must never reach; they go with the client.
CREATE TABLE do_not_call (
    client_pk  INTEGER  NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    phone      TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (client_pk, phone)
);

-- +goose Down
DROP TABLE do_not_call;
DROP TABLE calls;
