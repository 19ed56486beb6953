-- Publishing, third part: the weekly queue slots of each channel ("add to queue" takes the
-- next free one), the per-workspace rule of which roles publish without review, and notices
-- to members (a channel that needs reconnecting), read in the app and sent by e-mail.

CREATE TABLE queue_slots (
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    -- 0 is Monday, 6 is Sunday.
    weekday     INTEGER NOT NULL,
    -- Minutes after midnight, in the workspace's time zone.
    minute      INTEGER NOT NULL,
    PRIMARY KEY (channel_id, weekday, minute)
);

CREATE TABLE publishing_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    -- The roles whose posts are scheduled without review, comma-separated.
    direct_roles  TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    link          TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    read_at       INTEGER
);
CREATE INDEX notices_by_user ON notices (user_id, workspace_id, created_at);
