-- +goose Up
-- The console's Activity page reads the audit trail by keyset, newest
-- first by (created_at, id), for all clients (00002's events_created_at_idx)
-- or filtered by one client or one action: these indexes serve the filtered
-- pages the same way, a range read of a page and one row more.
CREATE INDEX events_client_id_created_at_idx ON events (client_id, created_at, id);
CREATE INDEX events_action_created_at_idx ON events (action, created_at, id);

-- +goose Down
DROP INDEX events_action_created_at_idx;
DROP INDEX events_client_id_created_at_idx;
