-- As ../sqlite/0006_visit_ownership.sql (a new database: no revisions to read
-- photos from).
CREATE TABLE visit_owners (
    visit_id    TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL
);

CREATE INDEX visit_owners_owner_idx ON visit_owners (owner_id);

CREATE TABLE visit_photos (
    sha256   TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    PRIMARY KEY (sha256, visit_id)
);

CREATE INDEX blobs_uploaded_by_idx ON blobs (uploaded_by);
