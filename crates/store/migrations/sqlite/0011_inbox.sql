-- The inbox (D1–D3, D6): what the community says to and about the brand's accounts.
--
-- Every notification of a channel (a reply, a mention, a quote, a repost, a like, a follow) is
-- an item, stored once per channel and network id. Items are grouped into conversations: a
-- thread rooted at the brand's post or at the mention. Each item is linked to a person of the
-- community through the network identity that wrote it. Replies sent from the inbox are posts
-- (the publisher's exactly-once queue) that answer a network post.

CREATE TABLE people (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    display_name   TEXT NOT NULL DEFAULT '',
    notes          TEXT NOT NULL DEFAULT '',
    tags           TEXT NOT NULL DEFAULT '',
    interactions   INTEGER NOT NULL DEFAULT 0,
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX people_by_workspace ON people (workspace_id, last_seen_at);

CREATE TABLE person_identities (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    network       TEXT NOT NULL,
    -- A DID, a Mastodon account id.
    author_id     TEXT NOT NULL,
    handle        TEXT NOT NULL DEFAULT '',
    UNIQUE (workspace_id, network, author_id)
);
CREATE INDEX person_identities_by_person ON person_identities (person_id);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id         INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    -- What the conversation hangs on: a post's id (at:// URI, status id), or `follow:<author>`.
    root_ref           TEXT NOT NULL,
    person_id          INTEGER REFERENCES people(id) ON DELETE SET NULL,
    -- The kind, text, sentiment and language of the latest item from the community.
    kind               TEXT NOT NULL,
    excerpt            TEXT NOT NULL DEFAULT '',
    sentiment          TEXT NOT NULL DEFAULT 'neu',
    lang               TEXT NOT NULL DEFAULT '',
    toxicity           REAL NOT NULL DEFAULT 0,
    -- open, pending (answered, waiting for the person), closed.
    status             TEXT NOT NULL DEFAULT 'open',
    priority           INTEGER NOT NULL DEFAULT 0,
    assignee_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    tags               TEXT NOT NULL DEFAULT '',
    -- 1 while the latest item from the community has no answer from the brand.
    unanswered         INTEGER NOT NULL DEFAULT 1,
    items              INTEGER NOT NULL DEFAULT 0,
    first_item_at      INTEGER NOT NULL,
    last_item_at       INTEGER NOT NULL,
    first_response_at  INTEGER,
    resolved_at        INTEGER,
    -- Who is writing a reply now, until when (the guard against two replies at once).
    replying_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    replying_until     INTEGER,
    -- When Tutti last changed it (received an item, sent a reply), ms: what the live inbox follows.
    touched_at         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel_id, root_ref)
);
CREATE INDEX conversations_touched ON conversations (workspace_id, touched_at);
CREATE INDEX conversations_inbox ON conversations (workspace_id, status, last_item_at);
-- The list across every status ("all"), and filters without a status, latest first: without it
-- the whole workspace is sorted for each page.
CREATE INDEX conversations_latest ON conversations (workspace_id, last_item_at);
CREATE INDEX conversations_by_assignee ON conversations (workspace_id, assignee_user_id, status, last_item_at);
CREATE INDEX conversations_by_channel ON conversations (workspace_id, channel_id, status, last_item_at);
CREATE INDEX conversations_by_person ON conversations (person_id, last_item_at);

CREATE TABLE inbox_items (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- The network's id of the notification, unique per channel.
    remote_id        TEXT NOT NULL,
    -- reply, mention, quote, repost, like, follow; `sent` for the brand's own replies.
    kind             TEXT NOT NULL,
    person_id        INTEGER REFERENCES people(id) ON DELETE SET NULL,
    author_id        TEXT NOT NULL DEFAULT '',
    author_handle    TEXT NOT NULL DEFAULT '',
    author_name      TEXT NOT NULL DEFAULT '',
    text             TEXT NOT NULL DEFAULT '',
    lang             TEXT NOT NULL DEFAULT '',
    sentiment        TEXT NOT NULL DEFAULT 'neu',
    toxicity         REAL NOT NULL DEFAULT 0,
    -- The author's post (to answer, like, repost), with its CID on Bluesky.
    post_ref         TEXT,
    post_cid         TEXT,
    parent_ref       TEXT,
    -- The post of the brand's a like, a repost or a quote is about.
    subject_ref      TEXT,
    -- For `sent`: the post (publisher's queue) that carries the reply.
    post_id          INTEGER REFERENCES posts(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    UNIQUE (channel_id, remote_id)
);
CREATE INDEX inbox_items_by_conversation ON inbox_items (conversation_id, created_at);

-- Where each channel's notifications were read up to, and who reads them (a lease).
CREATE TABLE inbox_cursors (
    channel_id   INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    cursor       TEXT,
    lease_owner  TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    polled_at    INTEGER,
    updated_at   INTEGER NOT NULL
);

-- Actions taken from the inbox on the network (like, repost; later hide, mute, block), run by
-- the worker as leased jobs and kept with their outcome, so that they can be shown and undone.
CREATE TABLE inbox_actions (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    item_id      INTEGER NOT NULL REFERENCES inbox_items(id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    -- pending, done, failed.
    status       TEXT NOT NULL DEFAULT 'pending',
    -- What undoes it on the network (a like or repost record).
    result_ref   TEXT,
    error        TEXT,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (item_id, channel_id, action)
);

-- A reply from the inbox answers a network post: the publisher sends it as a reply to it.
ALTER TABLE posts ADD COLUMN reply_ref TEXT;
ALTER TABLE posts ADD COLUMN reply_cid TEXT;
ALTER TABLE posts ADD COLUMN conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL;

-- How fast the team promises a first answer (the SLA shown on each conversation), minutes.
CREATE TABLE inbox_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    sla_minutes   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
