-- The review console's list rows (visit_index) are written by a task that
-- follows visit_revisions.id after the push has committed (issue 17), not
-- in the push's transaction. Its cursor: the last revision id indexed.
-- Until now every revision was indexed as it was stored, so an existing
-- database starts with everything indexed.
INSERT INTO meta (key, value, updated_at)
    SELECT 'visit_index_upto', CAST(COALESCE(MAX(id), 0) AS TEXT),
           strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    FROM visit_revisions;
