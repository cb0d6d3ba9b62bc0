-- +goose Up
-- The call statistics (GROUP BY status, counting outcomes, summing
-- duration_secs) read outcome and duration_secs at the end of the status
-- indexes of 00005, the client's and everyone's, instead of the table's
-- rows with their transcripts: ten times faster at 100,000 calls. The two
-- never decide the listings' order (call_id is unique). An offset page of
-- a client's calls reads its ids from calls_client_pk_created_at_idx (every
-- SQLite index holds the rowid) before its rows; that index stays.
DROP INDEX calls_client_pk_status_created_at_idx;
CREATE INDEX calls_client_pk_status_created_at_idx ON calls (client_pk, status, created_at, call_id, outcome, duration_secs);
DROP INDEX calls_status_created_at_idx;
CREATE INDEX calls_status_created_at_idx ON calls (status, created_at, call_id, outcome, duration_secs);

-- +goose Down
DROP INDEX calls_status_created_at_idx;
CREATE INDEX calls_status_created_at_idx ON calls (status, created_at, call_id);
DROP INDEX calls_client_pk_status_created_at_idx;
CREATE INDEX calls_client_pk_status_created_at_idx ON calls (client_pk, status, created_at, call_id);
