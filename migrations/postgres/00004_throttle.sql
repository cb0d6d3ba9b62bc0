-- +goose Up
-- The sign-in throttle's state, shared by every instance on this database.
-- One row per allowance (a token bucket): full_at is when it is whole again,
-- in milliseconds since 1970; each attempt moves it one refill interval
-- later (from now, if it has passed), and an attempt is refused when that
-- would put it more than the window ahead. Keys are HMACs of the account
-- and the address, never the address itself. A row whose full_at has passed
-- says nothing a missing row does not, and is purged.
CREATE TABLE throttle_allowances (
    key     TEXT PRIMARY KEY,
    full_at BIGINT NOT NULL
);
CREATE INDEX throttle_allowances_full_at_idx ON throttle_allowances (full_at);

-- Addresses that signed in to an account lately, as an HMAC of the two:
-- they are not held by the account's ceiling across all addresses, so
-- failures from elsewhere cannot lock the rightful owner out. forget_at is
-- in milliseconds since 1970.
CREATE TABLE remembered_sign_ins (
    key       TEXT PRIMARY KEY,
    forget_at BIGINT NOT NULL
);
CREATE INDEX remembered_sign_ins_forget_at_idx ON remembered_sign_ins (forget_at);

-- +goose Down
DROP TABLE remembered_sign_ins;
DROP TABLE throttle_allowances;
