-- Accounts, sessions and sync (visits pushed by devices, reviews, photos,
-- the change sequence pulled by devices). Same portability rules as 0001;
-- additionally: instants compared by the server (session expiry) are INTEGER
-- Unix milliseconds, JSON documents are TEXT, photo bytes are a BLOB
-- (PostgreSQL: BIGINT, JSONB, BYTEA).

-- Users. role: officer (cán bộ, records visits in assigned places),
-- reviewer (kiểm duyệt), admin (quản trị). password_hash: argon2id PHC string.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,  -- UUID
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'reviewer', 'admin')),
    password_hash TEXT NOT NULL,
    is_demo       INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    created_at    TEXT NOT NULL
);

-- Places (commune codes, as organisations.place_code) assigned to an officer.
CREATE TABLE user_places (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    place_code TEXT NOT NULL,
    PRIMARY KEY (user_id, place_code)
);

-- Sign-in sessions. Only the SHA-256 (hex) of the bearer token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL               -- Unix milliseconds
);

CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Change sequence handed to devices as the pull cursor: every change to
-- pulled data (organisations, reviews) appends a row; the entity row keeps
-- the seq of its latest change. Monotonic (AUTOINCREMENT never reuses).
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,                 -- organisation | review
    entity_id  TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

ALTER TABLE organisations ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;

INSERT INTO changes (entity, entity_id, changed_at)
    SELECT 'organisation', id, updated_at FROM organisations ORDER BY created_at, id;
UPDATE organisations SET seq = (
    SELECT MAX(c.seq) FROM changes c WHERE c.entity = 'organisation' AND c.entity_id = organisations.id
) WHERE EXISTS (SELECT 1 FROM changes c WHERE c.entity = 'organisation' AND c.entity_id = organisations.id);

CREATE INDEX organisations_seq_idx ON organisations (seq);

-- Every accepted visit revision (history; never updated or deleted). The
-- database enforces one row per (visit_id, revision): concurrent pushes of the
-- same record insert it once (INSERT ... ON CONFLICT DO NOTHING).
CREATE TABLE visit_revisions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id          TEXT NOT NULL,          -- UUID
    revision          INTEGER NOT NULL,
    replaces_revision INTEGER,
    organisation_id   TEXT NOT NULL REFERENCES organisations (id),
    place_code        TEXT NOT NULL,          -- the organisation's commune when received
    content_hash      TEXT NOT NULL,          -- hex SHA-256 of the canonical JSON
    body              TEXT NOT NULL,          -- the Visit as JSON
    pushed_by         TEXT NOT NULL REFERENCES users (id),
    device_id         TEXT NOT NULL,
    batch_id          TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    UNIQUE (visit_id, revision)
);

CREATE INDEX visit_revisions_place_idx ON visit_revisions (place_code);

-- The latest revision of each visit.
CREATE VIEW visits_latest AS
    SELECT v.* FROM visit_revisions v
    WHERE v.revision = (SELECT MAX(w.revision) FROM visit_revisions w WHERE w.visit_id = v.visit_id);

-- Pushed revisions that conflict with what is stored (same id and revision,
-- other content; or based on a revision that is not the latest). Kept for a
-- reviewer to resolve; one row per distinct content.
CREATE TABLE visit_conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id     TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    reason       TEXT NOT NULL,               -- same_revision_other_content | stale_base
    server_hash  TEXT NOT NULL,               -- hash of the stored revision it conflicts with
    body         TEXT NOT NULL,
    pushed_by    TEXT NOT NULL REFERENCES users (id),
    device_id    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
    UNIQUE (visit_id, revision, content_hash)
);

-- Review outcomes of visit revisions (pulled by the officers of the place).
CREATE TABLE reviews (
    id          TEXT PRIMARY KEY NOT NULL,    -- UUID
    visit_id    TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'returned')),
    comment     TEXT NOT NULL,
    reviewer    TEXT NOT NULL REFERENCES users (id),
    reviewed_at TEXT NOT NULL,
    seq         INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (visit_id, revision) REFERENCES visit_revisions (visit_id, revision)
);

CREATE INDEX reviews_seq_idx ON reviews (seq);
CREATE INDEX reviews_visit_idx ON reviews (visit_id, revision);

-- Photos, content-addressed by the hex SHA-256 of their bytes.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY NOT NULL,
    size        INTEGER NOT NULL,
    content     BLOB NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL
);
