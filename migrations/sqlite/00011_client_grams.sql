-- +goose Up
-- A substring index for the clients search, with no extension: every
-- three-character piece (trigram) of each client's search_key, kept by
-- triggers in the transaction of every write of the row (whoever writes it).
-- A search for a term of three characters or more reads the clients listed
-- under its rarest trigram, then tests search_key LIKE on those alone, so a
-- rare term no longer walks every client (docs/PERFORMANCE.md). Positions
-- come from a table of numbers because SQLite allows no recursive query in
-- a trigger; 4096 is more than any search_key (656 characters at most, a
-- little more after lower-casing).
CREATE TABLE gram_positions (i INTEGER PRIMARY KEY);
INSERT INTO gram_positions (i)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4096) SELECT i FROM n;
CREATE TABLE client_grams (
    gram      TEXT    NOT NULL,
    client_pk INTEGER NOT NULL,
    PRIMARY KEY (gram, client_pk)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER client_grams_insert AFTER INSERT ON clients BEGIN
    INSERT OR IGNORE INTO client_grams (gram, client_pk)
        SELECT substr(NEW.search_key, i, 3), NEW.id FROM gram_positions WHERE i <= length(NEW.search_key) - 2;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_grams_update AFTER UPDATE OF search_key ON clients WHEN NEW.search_key <> OLD.search_key BEGIN
    DELETE FROM client_grams WHERE client_pk = OLD.id AND gram IN
        (SELECT substr(OLD.search_key, i, 3) FROM gram_positions WHERE i <= length(OLD.search_key) - 2);
    INSERT OR IGNORE INTO client_grams (gram, client_pk)
        SELECT substr(NEW.search_key, i, 3), NEW.id FROM gram_positions WHERE i <= length(NEW.search_key) - 2;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_grams_delete AFTER DELETE ON clients BEGIN
    DELETE FROM client_grams WHERE client_pk = OLD.id AND gram IN
        (SELECT substr(OLD.search_key, i, 3) FROM gram_positions WHERE i <= length(OLD.search_key) - 2);
END;
-- +goose StatementEnd

INSERT OR IGNORE INTO client_grams (gram, client_pk)
    SELECT substr(c.search_key, p.i, 3), c.id FROM clients c JOIN gram_positions p ON p.i <= length(c.search_key) - 2;

-- +goose Down
DROP TRIGGER client_grams_delete;
DROP TRIGGER client_grams_update;
DROP TRIGGER client_grams_insert;
DROP TABLE client_grams;
DROP TABLE gram_positions;
