-- +goose Up
-- When an admin first set its password (created with one, or accepted its
-- invitation). An admin is invited while joined_at is NULL; a joined admin
-- without a password is waiting to set a new one after an owner reset it.
-- The admins with a password have joined; when is not known, so their
-- creation stands for it.
ALTER TABLE admins ADD COLUMN joined_at TIMESTAMPTZ;
UPDATE admins SET joined_at = created_at WHERE password_hash <> '';

-- +goose Down
ALTER TABLE admins DROP COLUMN joined_at;
