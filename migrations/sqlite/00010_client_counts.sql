-- +goose Up
-- The number of clients in each status, kept by triggers in the transaction
-- of every insert, delete and status change (whoever writes the row), so the
-- JSON list's exact `total` and the console's counts are one primary-key
-- read each instead of a COUNT(*) over every client. The triggers come
-- before the first count, so no write is missed between them.
CREATE TABLE client_counts (
    status TEXT    PRIMARY KEY,
    n      INTEGER NOT NULL
);
INSERT INTO client_counts (status, n) VALUES ('Active', 0), ('Inactive', 0), ('Suspended', 0);

-- +goose StatementBegin
CREATE TRIGGER clients_count_insert AFTER INSERT ON clients BEGIN
    UPDATE client_counts SET n = n + 1 WHERE status = NEW.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER clients_count_delete AFTER DELETE ON clients BEGIN
    UPDATE client_counts SET n = n - 1 WHERE status = OLD.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER clients_count_status AFTER UPDATE OF status ON clients WHEN NEW.status <> OLD.status BEGIN
    UPDATE client_counts SET n = n + CASE WHEN status = NEW.status THEN 1 ELSE -1 END
        WHERE status IN (OLD.status, NEW.status);
END;
-- +goose StatementEnd

UPDATE client_counts SET n = (SELECT COUNT(*) FROM clients WHERE clients.status = client_counts.status);

-- +goose Down
DROP TRIGGER clients_count_status;
DROP TRIGGER clients_count_delete;
DROP TRIGGER clients_count_insert;
DROP TABLE client_counts;
