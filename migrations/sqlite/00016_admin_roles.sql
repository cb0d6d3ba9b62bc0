-- +goose Up
-- A team of administrators: each has a role (owner, operator or viewer) and
-- may be disabled. The admins from before roles could do everything, so
-- they become owners. An invited admin has no password yet (empty
-- password_hash, which matches nothing) but an invitation: the SHA-256 of
-- its token, and when it expires.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
ALTER TABLE admins ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE admins ADD COLUMN invite_hash TEXT;
ALTER TABLE admins ADD COLUMN invite_expires_at DATETIME;
CREATE UNIQUE INDEX admins_invite_hash_idx ON admins (invite_hash);

-- +goose Down
DROP INDEX admins_invite_hash_idx;
ALTER TABLE admins DROP COLUMN invite_expires_at;
ALTER TABLE admins DROP COLUMN invite_hash;
ALTER TABLE admins DROP COLUMN disabled;
ALTER TABLE admins DROP COLUMN role;
