-- +goose Up
-- An admin's two-factor sign-in (TOTP, RFC 6238). secret is the TOTP key
-- sealed by auth (AES-GCM under a key derived from the server secret, bound
-- to the username), never the key in clear: the server needs the key itself
-- to check codes, so it cannot be hashed. enabled is false between set-up and
-- the first confirmed code. last_step is the last TOTP time step accepted, so
-- a code is refused when replayed within its window (RFC 6238 section 5.2).
CREATE TABLE admin_mfa (
    admin_id   INTEGER PRIMARY KEY REFERENCES admins (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    last_step  INTEGER NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL
);

-- One-time recovery codes, by their SHA-256 (the codes are 128 random bits,
-- so a fast hash cannot be reversed by guessing, and the hash is the key a
-- use deletes the row by: once, atomically).
CREATE TABLE admin_recovery_codes (
    admin_id  INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (admin_id, code_hash)
);

-- +goose Down
DROP TABLE admin_recovery_codes;
DROP TABLE admin_mfa;
