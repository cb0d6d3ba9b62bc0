-- +goose Up
-- Failures to connect about a conversation no call had when they arrived:
-- ElevenLabs may send a call_initiation_failure before its answer to the
-- dial, which gives the call its conversation id, is recorded. Reports with
-- a transcript or summary are never kept here. The report waits here
-- (a switchboard.CallResult as JSON) until the call takes it, or a day, when
-- the reconciler purges it.
CREATE TABLE held_call_results (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT     NOT NULL,
    result          TEXT     NOT NULL,
    received_at     DATETIME NOT NULL
);
CREATE INDEX held_call_results_conversation_id_idx ON held_call_results (conversation_id);
CREATE INDEX held_call_results_received_at_idx ON held_call_results (received_at);

-- +goose Down
DROP TABLE held_call_results;
