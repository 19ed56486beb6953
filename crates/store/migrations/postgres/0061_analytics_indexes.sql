-- Analytics at scale (a workspace with a million published posts a year): the reads of a
-- dashboard answered from indexes rather than from the posts' rows.
--
-- The sums of a period (`post_totals`, `daily_totals`, `pillar_counts`) read every post of the
-- period: this index holds every column they read, so that they scan index entries in
-- publication order instead of fetching each post's row (its text) from the table.
CREATE INDEX posts_period ON posts (workspace_id, published_at, likes, reposts, replies, quotes, engagements,
    followers_at_publish, pillar, channel_id, reply_ref, direct) WHERE published_at IS NOT NULL;

-- The best and weakest posts of a period walk the workspace's posts by interactions (ties by
-- id) and stop after a page: with the publication time in the entry, the period is checked
-- without fetching the row; with the rest of what a measured post is in the predicate, the
-- inbox's replies and direct messages are not in the walk at all (without it, the weakest
-- posts of 90 days among a million took 256 ms on PostgreSQL, checking each old post's row).
DROP INDEX posts_by_engagements;
CREATE INDEX posts_by_engagements ON posts (workspace_id, engagements, id, published_at)
    WHERE published_at IS NOT NULL AND reply_ref IS NULL AND direct = 0;

-- The best times read one channel's posts of the last 180 days.
CREATE INDEX posts_channel_published ON posts (channel_id, published_at) WHERE published_at IS NOT NULL;
