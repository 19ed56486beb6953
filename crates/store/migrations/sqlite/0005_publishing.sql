-- Publishing: the accounts a workspace publishes through (channels, with credentials
-- encrypted at rest), and the posts, which are also the publisher's queue.
--
-- A post's idempotency key (the Bluesky record key, or Mastodon's Idempotency-Key) is chosen
-- when the post is created, before any call to the network, so that a retry after a crash or
-- a timeout can never create a second post.

CREATE TABLE channels (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    network         TEXT NOT NULL,
    handle          TEXT NOT NULL,
    service         TEXT NOT NULL,
    account_id      TEXT,
    voice           TEXT NOT NULL DEFAULT 'brand',
    owner_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    credentials     TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'ok',
    status_message  TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (workspace_id, network, handle)
);

CREATE TABLE posts (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    author_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    text             TEXT NOT NULL,
    langs            TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    scheduled_at     INTEGER,
    idempotency_key  TEXT NOT NULL UNIQUE,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_owner      TEXT,
    lease_until      INTEGER,
    remote_id        TEXT,
    remote_url       TEXT,
    error            TEXT,
    published_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX posts_due ON posts (status, next_attempt_at);
CREATE INDEX posts_by_workspace ON posts (workspace_id, scheduled_at);

CREATE TABLE post_media (
    id        INTEGER PRIMARY KEY,
    post_id   INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    mime      TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    alt       TEXT NOT NULL DEFAULT '',
    UNIQUE (post_id, position)
);
