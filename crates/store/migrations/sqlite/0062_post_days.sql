-- The daily rollup of the brand's measured posts, so that a dashboard's period reads a few
-- rows per day instead of every post (a busy workspace publishes a million posts a year).
--
-- One row per workspace, local day (days since 1970-01-01 in the workspace's time zone),
-- channel and pillar ('' for none): how many posts were published that day and the sums of
-- their latest counts. The store keeps it in step with `posts` in the same transaction as
-- each change (publication, snapshot), by taking the post's old share out and adding its new
-- one. `workspaces.post_days_zone` names the time zone the rollup was built in; while it is
-- not the workspace's own (NULL here, for the posts published before this migration), the
-- dashboards read `posts` and the worker rebuilds the rollup.

CREATE TABLE post_days (
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    day                INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    pillar             TEXT NOT NULL,
    posts              INTEGER NOT NULL,
    likes              INTEGER NOT NULL,
    reposts            INTEGER NOT NULL,
    replies            INTEGER NOT NULL,
    quotes             INTEGER NOT NULL,
    engagements        INTEGER NOT NULL,
    -- The interactions and followers at publication of the posts whose followers are known.
    rated_engagements  INTEGER NOT NULL,
    rated_followers    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, day, channel_id, pillar)
) WITHOUT ROWID;

ALTER TABLE workspaces ADD COLUMN post_days_zone TEXT;

-- The inbox's response times of a period read every conversation that began in it: this
-- index holds what they read, so that they never fetch a conversation's row.
DROP INDEX conversations_started;
CREATE INDEX conversations_timing ON conversations (workspace_id, first_item_at, kind, channel_id,
    first_response_at, resolved_at);

-- The same for the sentiment of the inbox items of a period, and for the best times: when the
-- community wrote to a channel, and a channel's measured posts with what their rate needs.
DROP INDEX inbox_items_by_time;
CREATE INDEX inbox_items_by_time ON inbox_items (workspace_id, created_at, kind, sentiment);
DROP INDEX inbox_items_by_channel_time;
CREATE INDEX inbox_items_by_channel_time ON inbox_items (channel_id, created_at, kind);
DROP INDEX posts_channel_published;
CREATE INDEX posts_channel_published ON posts (channel_id, published_at, engagements, followers_at_publish, counts_at)
    WHERE published_at IS NOT NULL AND reply_ref IS NULL AND direct = 0;
