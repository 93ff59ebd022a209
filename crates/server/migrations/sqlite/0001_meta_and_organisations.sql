-- Initial schema of htx-server.
--
-- Portability (SQLite now, PostgreSQL later): ids are UUIDs stored as TEXT
-- (canonical lowercase hyphenated form), dates are ISO 8601 TEXT
-- ('YYYY-MM-DD'), timestamps are RFC 3339 UTC TEXT ('2025-07-01T08:00:00Z'),
-- booleans are INTEGER 0/1. A PostgreSQL set of migrations would use
-- UUID / DATE / TIMESTAMPTZ / BOOLEAN for the same columns.

-- Small key/value table for facts about this database (e.g. when the demo
-- dataset was seeded).
CREATE TABLE meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Organisations of the collective economy (tổ chức KTTT): tổ hợp tác, HTX,
-- liên hiệp HTX, quỹ tín dụng nhân dân. Columns are deliberately generic and
-- unconstrained beyond NOT NULL: the codes (kind, sector, legal_status) are
-- defined and validated by htx-core.
CREATE TABLE organisations (
    id                TEXT PRIMARY KEY NOT NULL,  -- UUID
    registration_code TEXT UNIQUE,                -- mã số HTX / tax code; NULL if none yet
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,              -- cooperative_group | cooperative | cooperative_union | peoples_credit_fund
    sector            TEXT NOT NULL,              -- snake_case code, e.g. agriculture_crops
    legal_status      TEXT NOT NULL,              -- snake_case code, e.g. active
    place_code        TEXT NOT NULL,              -- administrative unit code (commune level)
    place_name        TEXT NOT NULL,              -- name of that unit, as recorded
    founded_on        TEXT,                       -- DATE, 'YYYY-MM-DD'
    is_demo           INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE INDEX organisations_place_code_idx ON organisations (place_code);
CREATE INDEX organisations_is_demo_idx ON organisations (is_demo);
