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
-- A write changes its rows in one statement, net of the old row's
-- contribution and the new one's, in the primary key's order: concurrent
-- writes wait for each other on a shared row instead of deadlocking, and a
-- change that moves nothing (a status change leaves the hour's row) locks
-- nothing. The triggers come first: creating one locks calls against
-- writes until this migration commits, so the sums below miss none. The
-- stats indexes of 00008 have no reader left.
CREATE TABLE call_counts (
    client_pk BIGINT NOT NULL,
    hour      TEXT   NOT NULL,
    status    TEXT   NOT NULL,
    outcome   TEXT   NOT NULL,
    n         BIGINT NOT NULL,
    duration  BIGINT NOT NULL,
    PRIMARY KEY (client_pk, hour, status, outcome)
);

-- +goose StatementBegin
CREATE FUNCTION calls_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_counts AS c (client_pk, hour, status, outcome, n, duration)
    SELECT d.client_pk, d.hour, d.status, d.outcome, SUM(d.n), SUM(d.duration)
    FROM (
        SELECT -1 AS sign, OLD.client_pk AS client_pk, OLD.status AS status, OLD.outcome AS outcome,
            OLD.duration_secs AS duration_secs, OLD.created_at AS created_at
        WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT 1, NEW.client_pk, NEW.status, NEW.outcome, NEW.duration_secs, NEW.created_at
        WHERE TG_OP <> 'DELETE'
    ) AS x,
    LATERAL (VALUES
        (x.client_pk, '', x.status, x.outcome, x.sign, x.sign * x.duration_secs),
        (0, '', x.status, x.outcome, x.sign, x.sign * x.duration_secs),
        (0, to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24'), '', x.outcome, x.sign, 0)
    ) AS d (client_pk, hour, status, outcome, n, duration)
    GROUP BY d.client_pk, d.hour, d.status, d.outcome
    HAVING SUM(d.n) <> 0 OR SUM(d.duration) <> 0
    ORDER BY d.client_pk, d.hour, d.status, d.outcome
    ON CONFLICT (client_pk, hour, status, outcome)
        DO UPDATE SET n = c.n + EXCLUDED.n, duration = c.duration + EXCLUDED.duration;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER calls_count_insert_delete AFTER INSERT OR DELETE ON calls
    FOR EACH ROW EXECUTE FUNCTION calls_count();
CREATE TRIGGER calls_count_update AFTER UPDATE OF client_pk, status, outcome, duration_secs, created_at ON calls
    FOR EACH ROW WHEN ((OLD.client_pk, OLD.status, OLD.outcome, OLD.duration_secs, OLD.created_at)
        IS DISTINCT FROM (NEW.client_pk, NEW.status, NEW.outcome, NEW.duration_secs, NEW.created_at))
    EXECUTE FUNCTION calls_count();

INSERT INTO call_counts
    SELECT client_pk, '', status, outcome, COUNT(*), SUM(duration_secs) FROM calls GROUP BY client_pk, status, outcome;
INSERT INTO call_counts
    SELECT 0, '', status, outcome, COUNT(*), SUM(duration_secs) FROM calls GROUP BY status, outcome;
INSERT INTO call_counts
    SELECT 0, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24'), '', outcome, COUNT(*), 0 FROM calls
    GROUP BY to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24'), outcome;

DROP INDEX calls_client_pk_stats_idx;
DROP INDEX calls_stats_idx;

-- +goose Down
CREATE INDEX calls_client_pk_stats_idx ON calls (client_pk, status, outcome, duration_secs);
CREATE INDEX calls_stats_idx ON calls (status, outcome, duration_secs);
DROP TRIGGER calls_count_update ON calls;
DROP TRIGGER calls_count_insert_delete ON calls;
DROP FUNCTION calls_count();
DROP TABLE call_counts;
