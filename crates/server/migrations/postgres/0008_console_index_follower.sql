-- As ../sqlite/0008_console_index_follower.sql: the list-row follower's cursor
-- (the last visit_revisions.id indexed) starts at 0 on a new database.
INSERT INTO meta (key, value, updated_at)
    VALUES ('visit_index_upto', '0', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
