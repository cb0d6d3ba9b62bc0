-- +goose Up
-- Search matches the clientId and both phone numbers too: searchKey (in
-- Go) now ends with them, after the name, email and business name. The
-- rows stored before get the same key here: their keys already hold the
-- first three, lower-cased by Go, and the rest are ASCII (a clientId's
-- letters, E.164 numbers), which lower() lowers exactly.
UPDATE clients SET search_key = search_key || char(10) || lower(client_id) || char(10) || phone || char(10) || twilio_phone_number;

-- +goose Down
-- The longer keys stay: the search before this migration only finds more
-- with them (a clientId or a number), never less.
SELECT 1;
