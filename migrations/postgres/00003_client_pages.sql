-- +goose Up
-- The console lists clients by keyset, newest first, ordered by
-- (created_at, client_id): the tie-break is the clientId, which a page
-- cursor carries, not the internal row id. These indexes serve that order,
-- unfiltered and by status, so any page is a range read of Limit+1 entries.
-- (The SQLite twin carries search_key at the end of each; here it would
-- risk the 2704-byte limit of a B-tree entry, since the key may be 600
-- characters of any script.)
-- The (created_at, id) indexes of 00001 stay: FindClients (the JSON API's
-- offset pages) orders by created_at, id.
CREATE INDEX clients_created_at_client_id_idx ON clients (created_at, client_id);
CREATE INDEX clients_status_created_at_client_id_idx ON clients (status, created_at, client_id);

-- +goose Down
DROP INDEX clients_status_created_at_client_id_idx;
DROP INDEX clients_created_at_client_id_idx;
