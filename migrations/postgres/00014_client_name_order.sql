-- +goose Up
-- The console sorts clients by name too, by keyset like the newest-first
-- order: name_key is the full name lower-cased in Go (switchboard.NameKey),
-- exactly the first line of search_key (00001, 00013), from which the rows
-- stored before get it here. The indexes serve the name orders, unfiltered
-- and by status, as 00003's serve creation order. The key is compared by
-- its bytes (COLLATE "C"), as Go and SQLite compare it, so that both
-- databases list clients in the same name order.
ALTER TABLE clients ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE clients SET name_key = split_part(search_key, E'\n', 1);
CREATE INDEX clients_name_key_client_id_idx ON clients (name_key, client_id);
CREATE INDEX clients_status_name_key_client_id_idx ON clients (status, name_key, client_id);

-- +goose Down
DROP INDEX clients_status_name_key_client_id_idx;
DROP INDEX clients_name_key_client_id_idx;
ALTER TABLE clients DROP COLUMN name_key;
