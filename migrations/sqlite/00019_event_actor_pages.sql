-- +goose Up
-- The Activity page and GET /admin/events filter the audit trail by who
-- made the change (an administrator, a client, the system): this index
-- serves that page as 00012's serve the client and action filters, a range
-- read of a page and one row more, newest first by (created_at, id).
CREATE INDEX events_actor_created_at_idx ON events (actor, created_at, id);

-- +goose Down
DROP INDEX events_actor_created_at_idx;
