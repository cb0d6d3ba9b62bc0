-- +goose Up
-- The console sorts clients by name too, by keyset like the newest-first
-- order: name_key is the full name lower-cased in Go (switchboard.NameKey),
-- exactly the first line of search_key (00001, 00013), from which the rows
-- stored before get it here. The indexes serve the name orders, unfiltered
-- and by status, as 00003's serve creation order; search_key rides along at
-- the end for a search in name order, as there.
ALTER TABLE clients ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE clients SET name_key = substr(search_key, 1, instr(search_key, char(10)) - 1);
CREATE INDEX clients_name_key_client_id_idx ON clients (name_key, client_id, search_key);
CREATE INDEX clients_status_name_key_client_id_idx ON clients (status, name_key, client_id, search_key);

-- +goose Down
DROP INDEX clients_status_name_key_client_id_idx;
DROP INDEX clients_name_key_client_id_idx;
ALTER TABLE clients DROP COLUMN name_key;
