-- A visit belongs to the officer who recorded it (issue 24): only that
-- account sends its revisions, reads it and gets its receipts. The owner is
-- the account that pushed the visit's first stored revision
-- (visit_revisions.pushed_by), unless an admin handed the visit to another
-- officer: that reassignment is a row here (the latest one wins; the audit
-- log keeps every change).
CREATE TABLE visit_owners (
    visit_id    TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL
);

CREATE INDEX visit_owners_owner_idx ON visit_owners (owner_id);

-- The photos each stored visit names (any revision), written with the
-- revision: who may fetch a photo follows who may see a visit naming it.
-- A photo named by no visit is its uploader's alone, counts against the
-- uploader's quota, and is removed after a set age (htx-server gc-photos).
CREATE TABLE visit_photos (
    sha256   TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    PRIMARY KEY (sha256, visit_id)
);

INSERT INTO visit_photos (sha256, visit_id)
    SELECT DISTINCT json_extract(p.value, '$.sha256'), r.visit_id
    FROM visit_revisions r, json_each(r.body, '$.photos') p
    WHERE json_extract(p.value, '$.sha256') IS NOT NULL;

-- The upload quota counts an account's photos that no visit names yet.
CREATE INDEX blobs_uploaded_by_idx ON blobs (uploaded_by);
