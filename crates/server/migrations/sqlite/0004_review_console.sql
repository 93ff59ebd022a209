-- Review console (issue 6): what reviewers may see, what everyone did, and a
-- list row per visit so the console can filter and page 100,000 visits
-- without parsing their JSON.

-- Places a reviewer (kiểm duyệt) or admin may see: units of either hierarchy
-- at any level, usually a province. A reviewer with no row sees nothing; an
-- admin with no row sees everything. Officers use user_places (communes).
CREATE TABLE user_scopes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hierarchy  TEXT NOT NULL CHECK (hierarchy IN ('old', 'new')),
    place_code TEXT NOT NULL,
    PRIMARY KEY (user_id, hierarchy, place_code)
);

-- Every action of staff (nhật ký thao tác): who, when, what. Never updated.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,                  -- RFC 3339 UTC
    user_id   TEXT NOT NULL REFERENCES users (id),
    action    TEXT NOT NULL,                  -- e.g. visit.approve, visit.return
    entity    TEXT NOT NULL,                  -- visit | organisation | user | rubric
    entity_id TEXT NOT NULL,
    detail    TEXT NOT NULL                   -- JSON
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- The latest stored revision of each visit, as the console lists it. Written
-- in the transaction that stores the revision or its review; rebuilt from
-- visit_revisions at start-up for rows that predate it.
CREATE TABLE visit_index (
    visit_id        TEXT PRIMARY KEY NOT NULL,
    revision        INTEGER NOT NULL,
    organisation_id TEXT NOT NULL,
    place_code      TEXT NOT NULL,            -- commune (new hierarchy)
    visited_on      TEXT NOT NULL,            -- local date, 'YYYY-MM-DD'
    year            INTEGER NOT NULL,
    officer_id      TEXT NOT NULL REFERENCES users (id),
    score_centi     INTEGER,                  -- hundredths of a point, when the sheet scores
    grade           TEXT CHECK (grade IN ('good', 'fair', 'average', 'weak')),
    review_state    TEXT NOT NULL DEFAULT 'pending'
                    CHECK (review_state IN ('pending', 'approved', 'returned')),
    conflicts       INTEGER NOT NULL DEFAULT 0, -- unresolved conflicting pushes
    received_at     TEXT NOT NULL,
    search_key      TEXT NOT NULL             -- organisation name and code, folded (htx_core::search::fold)
);

CREATE INDEX visit_index_year_idx ON visit_index (year, visited_on);
CREATE INDEX visit_index_state_idx ON visit_index (review_state);
CREATE INDEX visit_index_officer_idx ON visit_index (officer_id);

-- Rubric versions (bộ tiêu chí đánh giá, xếp loại) published by an admin,
-- on top of those built into the server. Never updated: a change is a new
-- version. Devices receive them with their next pull (changes.entity = 'rubric').
CREATE TABLE rubrics (
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL,               -- the htx_core::Rubric as JSON
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);

-- A provisional organisation found in the field that staff matched to an
-- existing one (gộp): its visits count for the target from then on.
ALTER TABLE organisations ADD COLUMN merged_into TEXT REFERENCES organisations (id);

-- The dashboard and exports read a year's revisions by arrival time.
CREATE INDEX visit_revisions_received_idx ON visit_revisions (received_at);

-- The console's sort orders (newest first is the default). No index on
-- place_code on purpose: every reviewer's query carries the scope's list of
-- communes, and an index there makes SQLite fetch the whole province and
-- sort it instead of walking the order index (measured: console_bench).
CREATE INDEX visit_index_recent_idx ON visit_index (visited_on DESC, received_at DESC, visit_id);
CREATE INDEX visit_index_score_idx ON visit_index (score_centi);
