-- Organisations recorded by an officer in the field (tổ chức mới phát hiện),
-- created on the server with the first visit that names them; staff match
-- them to the registry later (merge) or confirm them.
ALTER TABLE organisations ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1));
