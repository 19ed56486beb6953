-- Analytics: what the networks count on each published post, and each channel's audience.
--
-- A published post carries its latest counts (so that the post table and the overview read
-- no snapshot) and when its next snapshot is due: 5 min, 1 h, 6 h, 24 h, 7 d and 30 d after it
-- was published (`snapshot_step` is the next point's index). `post_snapshots` keeps one row
-- per post per snapshot, integer columns only, so growth curves exist; housekeeping thins
-- those taken outside the schedule. `channel_counts` keeps one row per channel per UTC day.

ALTER TABLE posts ADD COLUMN likes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN reposts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN replies BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN quotes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN engagements BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN counts_at BIGINT;
ALTER TABLE posts ADD COLUMN snapshot_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN next_snapshot_at BIGINT;
ALTER TABLE posts ADD COLUMN followers_at_publish BIGINT;
ALTER TABLE posts ADD COLUMN pillar TEXT;
ALTER TABLE posts ADD COLUMN campaign TEXT;

-- Posts already published are measured from now on.
UPDATE posts SET next_snapshot_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
 WHERE status = 'published' AND remote_id IS NOT NULL;

CREATE INDEX posts_snapshot_due ON posts (channel_id, next_snapshot_at) WHERE next_snapshot_at IS NOT NULL;
CREATE INDEX posts_published ON posts (workspace_id, published_at) WHERE published_at IS NOT NULL;
CREATE INDEX posts_by_engagements ON posts (workspace_id, engagements) WHERE published_at IS NOT NULL;

CREATE TABLE post_snapshots (
    post_id   BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    taken_at  BIGINT NOT NULL,
    -- The schedule's point (0 = 5 min … 5 = 30 d), or -1 for a snapshot taken on request.
    step      BIGINT NOT NULL,
    likes     BIGINT NOT NULL,
    reposts   BIGINT NOT NULL,
    replies   BIGINT NOT NULL,
    quotes    BIGINT NOT NULL,
    PRIMARY KEY (post_id, taken_at)
);

CREATE TABLE channel_counts (
    channel_id  BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    -- Days since 1970-01-01, UTC.
    day         BIGINT NOT NULL,
    followers   BIGINT NOT NULL,
    following   BIGINT NOT NULL,
    posts       BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL,
    PRIMARY KEY (channel_id, day)
);

-- The team's figures read conversations by when they began, and the best times read when the
-- community wrote to each channel.
CREATE INDEX conversations_started ON conversations (workspace_id, first_item_at);
CREATE INDEX inbox_items_by_time ON inbox_items (workspace_id, created_at);
CREATE INDEX inbox_items_by_channel_time ON inbox_items (channel_id, created_at);
