-- An admin may disable an account (an officer who left, a lost phone whose
-- officer should not sign in again yet): it cannot sign in and its tokens
-- are revoked; its visits and reviews stay.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
