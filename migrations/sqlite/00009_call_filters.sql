-- +goose Up
-- The console's calls page filters by outcome (alone or with a client) and
-- by the number called, newest first by keyset: each filter gets an index
-- ending in (created_at, call_id), as those of 00005, so a page is a range
-- read of it. The dashboard's calls per day and outcome read a range of
-- calls_created_at_idx, which now holds the outcome too (after the columns
-- that order it, so the listings read it as before), not the table's rows.
CREATE INDEX calls_outcome_created_at_idx ON calls (outcome, created_at, call_id);
CREATE INDEX calls_client_id_outcome_created_at_idx ON calls (client_id, outcome, created_at, call_id);
CREATE INDEX calls_to_number_created_at_idx ON calls (to_number, created_at, call_id);
DROP INDEX calls_created_at_idx;
CREATE INDEX calls_created_at_idx ON calls (created_at, call_id, outcome);

-- +goose Down
DROP INDEX calls_created_at_idx;
CREATE INDEX calls_created_at_idx ON calls (created_at, call_id);
DROP INDEX calls_to_number_created_at_idx;
DROP INDEX calls_client_id_outcome_created_at_idx;
DROP INDEX calls_outcome_created_at_idx;
