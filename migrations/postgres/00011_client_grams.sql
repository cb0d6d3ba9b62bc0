-- +goose Up
-- A substring index for the clients search, with no extension: every
-- three-character piece (trigram) of each client's search_key, kept by a
-- trigger in the transaction of every write of the row (whoever writes it).
-- A search for a term of three characters or more reads the clients listed
-- under its rarest trigram, then tests search_key LIKE on those alone, so a
-- rare term no longer walks every client (docs/PERFORMANCE.md).
CREATE TABLE client_grams (
    gram      TEXT   NOT NULL,
    client_pk BIGINT NOT NULL,
    PRIMARY KEY (gram, client_pk)
);

-- +goose StatementBegin
CREATE FUNCTION client_grams_of(key TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT substr(key, i, 3) FROM generate_series(1, length(key) - 2) AS i
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION client_grams_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM client_grams WHERE client_pk = OLD.id AND gram IN (SELECT client_grams_of(OLD.search_key));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO client_grams (gram, client_pk) SELECT g, NEW.id FROM client_grams_of(NEW.search_key) AS g
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_grams_insert_delete AFTER INSERT OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION client_grams_keep();
CREATE TRIGGER client_grams_update AFTER UPDATE OF search_key ON clients
    FOR EACH ROW WHEN (OLD.search_key IS DISTINCT FROM NEW.search_key) EXECUTE FUNCTION client_grams_keep();

INSERT INTO client_grams (gram, client_pk)
    SELECT DISTINCT g, c.id FROM clients c, client_grams_of(c.search_key) AS g;

-- +goose Down
DROP TRIGGER client_grams_update ON clients;
DROP TRIGGER client_grams_insert_delete ON clients;
DROP FUNCTION client_grams_keep();
DROP FUNCTION client_grams_of(TEXT);
DROP TABLE client_grams;
