-- As ../sqlite/0007_disabled_accounts.sql.
ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
