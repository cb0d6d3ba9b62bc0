-- +goose Up
-- A team of administrators: each has a role (owner, operator or viewer) and
-- may be disabled. The admins from before roles could do everything, so
-- they become owners.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
ALTER TABLE admins ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE admins DROP COLUMN disabled;
ALTER TABLE admins DROP COLUMN role;
