-- +goose Up
-- The number of clients in each status, kept by triggers in the transaction
-- of every insert, delete and status change (whoever writes the row), so the
-- JSON list's exact `total` and the console's counts are one primary-key
-- read each instead of a COUNT(*) over every client. The triggers come
-- first: creating one locks clients against writes until this migration
-- commits, so the count below misses none. A status change updates its two
-- rows in one statement, in the primary key's order, so two opposite
-- changes at once wait for each other instead of deadlocking. (PL/pgSQL is
-- built into every PostgreSQL; no extension is needed.)
CREATE TABLE client_counts (
    status TEXT   PRIMARY KEY,
    n      BIGINT NOT NULL
);
INSERT INTO client_counts (status, n) VALUES ('Active', 0), ('Inactive', 0), ('Suspended', 0);

-- +goose StatementBegin
CREATE FUNCTION clients_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE client_counts SET n = n + 1 WHERE status = NEW.status;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE client_counts SET n = n - 1 WHERE status = OLD.status;
    ELSE
        UPDATE client_counts SET n = n + CASE WHEN status = NEW.status THEN 1 ELSE -1 END
            WHERE status IN (OLD.status, NEW.status);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER clients_count_insert_delete AFTER INSERT OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_count();
CREATE TRIGGER clients_count_status AFTER UPDATE OF status ON clients
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION clients_count();

UPDATE client_counts SET n = (SELECT COUNT(*) FROM clients WHERE clients.status = client_counts.status);

-- +goose Down
DROP TRIGGER clients_count_status ON clients;
DROP TRIGGER clients_count_insert_delete ON clients;
DROP FUNCTION clients_count();
DROP TABLE client_counts;
