-- +goose Up
-- Call statistics kept by triggers in the transaction of every insert,
-- update and delete of a call (whoever writes the row), so the stats, the
-- dashboard and a client's call counts read a few rows instead of one index
-- entry per call. Three kinds of row:
--   (client_pk, '', status, outcome): a client's calls, all time;
--   (0, '', status, outcome): every client's calls, all time (no client
--     has id 0: clients.id starts at 1);
--   (0, hour, '', outcome): every client's calls created in that UTC hour
--     ('YYYY-MM-DD HH'), for the dashboard's last 24 hours and its chart:
--     the hours after a moment are counted here, and only the part of its
--     own hour is read from calls_created_at_idx.
-- An update takes the old row's contribution off and adds the new one's.
-- SQLite runs one writer at a time, so the order of the statements does not
-- matter. The stats indexes of 00008 have no reader left.
CREATE TABLE call_counts (
    client_pk INTEGER NOT NULL,
    hour      TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    duration  INTEGER NOT NULL,
    PRIMARY KEY (client_pk, hour, status, outcome)
) WITHOUT ROWID;

-- A row inserted into call_count_changes is added to call_counts' row of
-- its key (created at its first call), so each trigger below states only
-- which rows a call counts in.
CREATE VIEW call_count_changes AS SELECT client_pk, hour, status, outcome, n, duration FROM call_counts WHERE 0;
-- +goose StatementBegin
CREATE TRIGGER call_count_changes_apply INSTEAD OF INSERT ON call_count_changes BEGIN
    INSERT INTO call_counts VALUES (NEW.client_pk, NEW.hour, NEW.status, NEW.outcome, NEW.n, NEW.duration)
        ON CONFLICT DO UPDATE SET n = n + excluded.n, duration = duration + excluded.duration;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER calls_count_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_count_changes VALUES (NEW.client_pk, '', NEW.status, NEW.outcome, 1, NEW.duration_secs),
        (0, '', NEW.status, NEW.outcome, 1, NEW.duration_secs), (0, substr(NEW.created_at, 1, 13), '', NEW.outcome, 1, 0);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER calls_count_delete AFTER DELETE ON calls BEGIN
    INSERT INTO call_count_changes VALUES (OLD.client_pk, '', OLD.status, OLD.outcome, -1, -OLD.duration_secs),
        (0, '', OLD.status, OLD.outcome, -1, -OLD.duration_secs), (0, substr(OLD.created_at, 1, 13), '', OLD.outcome, -1, 0);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER calls_count_update AFTER UPDATE OF client_pk, status, outcome, duration_secs, created_at ON calls
WHEN NEW.client_pk <> OLD.client_pk OR NEW.status <> OLD.status OR NEW.outcome <> OLD.outcome
    OR NEW.duration_secs <> OLD.duration_secs OR NEW.created_at <> OLD.created_at BEGIN
    INSERT INTO call_count_changes VALUES (OLD.client_pk, '', OLD.status, OLD.outcome, -1, -OLD.duration_secs),
        (0, '', OLD.status, OLD.outcome, -1, -OLD.duration_secs), (0, substr(OLD.created_at, 1, 13), '', OLD.outcome, -1, 0),
        (NEW.client_pk, '', NEW.status, NEW.outcome, 1, NEW.duration_secs),
        (0, '', NEW.status, NEW.outcome, 1, NEW.duration_secs), (0, substr(NEW.created_at, 1, 13), '', NEW.outcome, 1, 0);
END;
-- +goose StatementEnd

INSERT INTO call_counts
    SELECT client_pk, '', status, outcome, COUNT(*), SUM(duration_secs) FROM calls GROUP BY client_pk, status, outcome;
INSERT INTO call_counts
    SELECT 0, '', status, outcome, COUNT(*), SUM(duration_secs) FROM calls GROUP BY status, outcome;
INSERT INTO call_counts
    SELECT 0, substr(created_at, 1, 13), '', outcome, COUNT(*), 0 FROM calls GROUP BY substr(created_at, 1, 13), outcome;

DROP INDEX calls_client_pk_stats_idx;
DROP INDEX calls_stats_idx;

-- +goose Down
CREATE INDEX calls_client_pk_stats_idx ON calls (client_pk, status, outcome, duration_secs);
CREATE INDEX calls_stats_idx ON calls (status, outcome, duration_secs);
DROP TRIGGER calls_count_update;
DROP TRIGGER calls_count_delete;
DROP TRIGGER calls_count_insert;
DROP TRIGGER call_count_changes_apply;
DROP VIEW call_count_changes;
DROP TABLE call_counts;
