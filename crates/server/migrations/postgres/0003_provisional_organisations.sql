-- As ../sqlite/0003_provisional_organisations.sql.
ALTER TABLE organisations ADD COLUMN provisional BIGINT NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1));
