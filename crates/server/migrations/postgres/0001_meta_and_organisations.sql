-- Initial schema of htx-server on PostgreSQL: the same tables, columns and
-- version numbers as ../sqlite/0001_meta_and_organisations.sql (SQLite), so one
-- SQL text serves both backends (db module docs).
--
-- Representations are the SQLite ones on purpose: ids are UUIDs stored as
-- TEXT, dates and timestamps ISO 8601 TEXT (they sort and compare as they
-- should), booleans BIGINT 0/1, integers BIGINT. The server binds the same
-- Rust values on both backends (sqlx::Any carries no UUID or date types).

-- SQLite's meaning of two functions the queries use, so their text is the
-- same on both backends:
-- json_each(text): the elements of a JSON array as rows of `value` (lists
-- bound as one JSON array, e.g. a reviewer's communes). PostgreSQL's own
-- json_each(json) takes objects; this one takes text and wins for text
-- arguments.
CREATE FUNCTION json_each(list TEXT) RETURNS TABLE (value TEXT)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT json_array_elements_text(list::json) $$;

-- instr(haystack, needle): 1-based position of needle, 0 if absent.
CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT strpos(haystack, needle)::BIGINT $$;

CREATE TABLE meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE organisations (
    id                TEXT PRIMARY KEY NOT NULL,
    registration_code TEXT UNIQUE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    sector            TEXT NOT NULL,
    legal_status      TEXT NOT NULL,
    place_code        TEXT NOT NULL,
    place_name        TEXT NOT NULL,
    founded_on        TEXT,
    is_demo           BIGINT NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE INDEX organisations_place_code_idx ON organisations (place_code);
CREATE INDEX organisations_is_demo_idx ON organisations (is_demo);
