-- +goose Up
-- A client's calling settings, set by the administrator: the hourly call
-- limit (0: the default) and the calling hours as JSON ('': any time).
ALTER TABLE clients ADD COLUMN calling_max_per_hour INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN calling_hours TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN calling_hours;
ALTER TABLE clients DROP COLUMN calling_max_per_hour;
