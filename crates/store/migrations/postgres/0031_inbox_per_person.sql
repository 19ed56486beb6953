-- Conversations are per person (D1–D3). A conversation is one person's thread with the brand:
-- what hangs on one post (the brand's post they answer, their mention, their direct messages)
-- and was written by one network identity, `author_id`, with the brand's replies to them. The
-- likes and reposts of one post stay together in one conversation (`author_id` empty): they ask
-- for no answer. Before this, every reply, quote and mention under one post was one
-- conversation whoever wrote it.
--
-- The brand's reply records the message it answers (`inbox_items.answers_item_id`): the CM
-- chooses it, and the publisher sends the reply under that message's post (`posts.reply_ref`).
--
-- Existing conversations are split without losing anything: the person who started one (the
-- author of its first message) keeps it, with its id, its history, notes and state; every
-- other person of it gets a new conversation of their own that copies its status, priority,
-- assignee and tags, takes their items and the brand's replies to them (and the posts carrying
-- those), gets a copy of its notes and an audit entry `inbox.split` naming the conversation it
-- came from. What the list shows of each (person, excerpt, counts, times, unanswered) is
-- computed again from its own items.

ALTER TABLE conversations ADD COLUMN author_id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations DROP CONSTRAINT conversations_channel_id_root_ref_key;
ALTER TABLE conversations ADD CONSTRAINT conversations_channel_id_root_ref_author_id_key
    UNIQUE (channel_id, root_ref, author_id);
ALTER TABLE inbox_items ADD COLUMN answers_item_id BIGINT REFERENCES inbox_items(id) ON DELETE SET NULL;

-- The brand's post a conversation answers, shown above it, is found by its network id.
CREATE INDEX posts_by_remote_id ON posts (workspace_id, remote_id);

-- Answered items: what each reply of the brand answered, found by the post it was sent under.
UPDATE inbox_items SET answers_item_id = (
    SELECT a.id FROM inbox_items a
    WHERE a.conversation_id = inbox_items.conversation_id AND a.kind <> 'sent' AND a.post_ref = inbox_items.parent_ref
    ORDER BY a.id LIMIT 1)
WHERE kind = 'sent';

-- 1. Whose thread each item is: its author's; likes and reposts stay together per post ('');
--    a reply of the brand goes with the message it answered (else with the starter, below).
CREATE TABLE inbox_split_items (
    item_id          BIGINT PRIMARY KEY,
    conversation_id  BIGINT NOT NULL,
    thread           TEXT
);
INSERT INTO inbox_split_items (item_id, conversation_id, thread)
SELECT id, conversation_id,
       CASE WHEN kind IN ('like', 'repost') THEN '' WHEN kind = 'sent' THEN NULL ELSE author_id END
FROM inbox_items;
UPDATE inbox_split_items SET thread = (
    SELECT k.thread FROM inbox_items s JOIN inbox_split_items k ON k.item_id = s.answers_item_id
    WHERE s.id = inbox_split_items.item_id)
WHERE thread IS NULL;

-- 2. Who started each conversation: the author of its first message, else (likes, reposts,
--    follows alone) the thread of its first item. They keep the conversation, its id and its
--    history.
CREATE TABLE inbox_split_starters (
    conversation_id  BIGINT PRIMARY KEY,
    thread           TEXT NOT NULL
);
INSERT INTO inbox_split_starters (conversation_id, thread)
SELECT c.id, COALESCE(
    (SELECT k.thread FROM inbox_items i JOIN inbox_split_items k ON k.item_id = i.id
     WHERE i.conversation_id = c.id AND i.kind IN ('reply', 'mention', 'quote', 'dm')
     ORDER BY i.created_at, i.id LIMIT 1),
    (SELECT k.thread FROM inbox_items i JOIN inbox_split_items k ON k.item_id = i.id
     WHERE i.conversation_id = c.id AND k.thread IS NOT NULL
     ORDER BY i.created_at, i.id LIMIT 1),
    '')
FROM conversations c;
UPDATE inbox_split_items SET thread = (
    SELECT s.thread FROM inbox_split_starters s WHERE s.conversation_id = inbox_split_items.conversation_id)
WHERE thread IS NULL;
UPDATE conversations SET author_id = (
    SELECT s.thread FROM inbox_split_starters s WHERE s.conversation_id = conversations.id);

-- 3. Every other person of a conversation gets a conversation of their own, copying its state
--    (status, priority, assignee, tags, times); its items, the brand's replies to them, and the
--    posts carrying those replies move there; its notes are copied.
CREATE TABLE inbox_split_new (
    conversation_id  BIGINT NOT NULL,
    thread           TEXT NOT NULL,
    new_id           BIGINT,
    PRIMARY KEY (conversation_id, thread)
);
INSERT INTO inbox_split_new (conversation_id, thread)
SELECT DISTINCT k.conversation_id, k.thread
FROM inbox_split_items k JOIN inbox_split_starters s ON s.conversation_id = k.conversation_id
WHERE k.thread <> s.thread;
INSERT INTO conversations (workspace_id, channel_id, root_ref, author_id, person_id, kind, excerpt, sentiment, lang,
    toxicity, status, priority, assignee_user_id, tags, unanswered, items, first_item_at, last_item_at,
    first_response_at, resolved_at, touched_at)
SELECT c.workspace_id, c.channel_id, c.root_ref, n.thread, c.person_id, c.kind, c.excerpt, c.sentiment, c.lang,
    c.toxicity, c.status, c.priority, c.assignee_user_id, c.tags, c.unanswered, c.items, c.first_item_at,
    c.last_item_at, c.first_response_at, c.resolved_at, c.touched_at
FROM inbox_split_new n JOIN conversations c ON c.id = n.conversation_id
ORDER BY n.conversation_id, n.thread;
UPDATE inbox_split_new SET new_id = (
    SELECT c2.id FROM conversations c
    JOIN conversations c2 ON c2.channel_id = c.channel_id AND c2.root_ref = c.root_ref
    WHERE c.id = inbox_split_new.conversation_id AND c2.author_id = inbox_split_new.thread);
UPDATE inbox_items SET conversation_id = (
    SELECT n.new_id FROM inbox_split_items k
    JOIN inbox_split_new n ON n.conversation_id = k.conversation_id AND n.thread = k.thread
    WHERE k.item_id = inbox_items.id)
WHERE id IN (
    SELECT k.item_id FROM inbox_split_items k
    JOIN inbox_split_new n ON n.conversation_id = k.conversation_id AND n.thread = k.thread);
UPDATE posts SET conversation_id = (
    SELECT i.conversation_id FROM inbox_items i WHERE i.post_id = posts.id AND i.kind = 'sent' ORDER BY i.id LIMIT 1)
WHERE id IN (
    SELECT i.post_id FROM inbox_items i JOIN inbox_split_new n ON n.new_id = i.conversation_id
    WHERE i.kind = 'sent' AND i.post_id IS NOT NULL);
INSERT INTO inbox_notes (workspace_id, conversation_id, author_user_id, body, created_at)
SELECT o.workspace_id, n.new_id, o.author_user_id, o.body, o.created_at
FROM inbox_notes o JOIN inbox_split_new n ON n.conversation_id = o.conversation_id
ORDER BY n.new_id, o.id;
-- The history of a new conversation starts with where it came from.
INSERT INTO audit_log (at, actor_user_id, actor, workspace_id, action, target, before_state, after_state)
SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT), NULL, 'migration', c.workspace_id, 'inbox.split', 'conversation ' || CAST(n.new_id AS TEXT),
    '{"conversation":' || CAST(n.conversation_id AS TEXT) || '}', '{"conversation":' || CAST(n.new_id AS TEXT) || '}'
FROM inbox_split_new n JOIN conversations c ON c.id = n.conversation_id
ORDER BY n.new_id;

-- 4. What the list shows of each conversation that changed, from its own items now.
CREATE TABLE inbox_split_touched (
    id     BIGINT PRIMARY KEY,
    fresh  INTEGER NOT NULL
);
INSERT INTO inbox_split_touched (id, fresh) SELECT DISTINCT conversation_id, 0 FROM inbox_split_new;
INSERT INTO inbox_split_touched (id, fresh) SELECT new_id, 1 FROM inbox_split_new;
UPDATE conversations SET
    items = (SELECT COUNT(*) FROM inbox_items i WHERE i.conversation_id = conversations.id),
    first_item_at = COALESCE((SELECT MIN(i.created_at) FROM inbox_items i WHERE i.conversation_id = conversations.id), first_item_at),
    last_item_at = COALESCE((SELECT MAX(i.created_at) FROM inbox_items i WHERE i.conversation_id = conversations.id), last_item_at),
    first_response_at = (SELECT MIN(i.created_at) FROM inbox_items i WHERE i.conversation_id = conversations.id AND i.kind = 'sent'),
    toxicity = COALESCE((SELECT MAX(i.toxicity) FROM inbox_items i
        WHERE i.conversation_id = conversations.id AND i.kind IN ('reply', 'mention', 'quote', 'dm')), 0),
    unanswered = CASE WHEN
        COALESCE((SELECT MAX(i.created_at) FROM inbox_items i
            WHERE i.conversation_id = conversations.id AND i.kind IN ('reply', 'mention', 'quote', 'dm')), -1)
        > COALESCE((SELECT MAX(i.created_at) FROM inbox_items i
            WHERE i.conversation_id = conversations.id AND i.kind = 'sent'
              AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = i.post_id AND p.status = 'failed')), -1)
        THEN 1 ELSE 0 END
WHERE id IN (SELECT id FROM inbox_split_touched);
-- Who and what speaks for it: its latest message, else its first item.
CREATE TABLE inbox_split_leads (
    conversation_id  BIGINT PRIMARY KEY,
    item_id          BIGINT NOT NULL
);
INSERT INTO inbox_split_leads (conversation_id, item_id)
SELECT t.id, (
    SELECT i.id FROM inbox_items i WHERE i.conversation_id = t.id AND i.kind <> 'sent'
    ORDER BY CASE WHEN i.kind IN ('reply', 'mention', 'quote', 'dm') THEN 1 ELSE 0 END DESC,
        CASE WHEN i.kind IN ('reply', 'mention', 'quote', 'dm') THEN i.created_at ELSE -i.created_at END DESC,
        i.id DESC
    LIMIT 1)
FROM inbox_split_touched t
WHERE EXISTS (SELECT 1 FROM inbox_items i WHERE i.conversation_id = t.id AND i.kind <> 'sent');
UPDATE conversations SET
    person_id = (SELECT i.person_id FROM inbox_split_leads l JOIN inbox_items i ON i.id = l.item_id WHERE l.conversation_id = conversations.id),
    kind = (SELECT i.kind FROM inbox_split_leads l JOIN inbox_items i ON i.id = l.item_id WHERE l.conversation_id = conversations.id),
    excerpt = (SELECT substr(i.text, 1, 280) FROM inbox_split_leads l JOIN inbox_items i ON i.id = l.item_id WHERE l.conversation_id = conversations.id),
    sentiment = (SELECT i.sentiment FROM inbox_split_leads l JOIN inbox_items i ON i.id = l.item_id WHERE l.conversation_id = conversations.id),
    lang = (SELECT i.lang FROM inbox_split_leads l JOIN inbox_items i ON i.id = l.item_id WHERE l.conversation_id = conversations.id)
WHERE id IN (SELECT conversation_id FROM inbox_split_leads);
-- A new conversation with nothing to answer (the likes and reposts of a post) is closed, as
-- ingestion makes them; one that waits for an answer again is open; no one is writing in a new one.
UPDATE conversations SET status = 'closed', unanswered = 0
WHERE id IN (SELECT id FROM inbox_split_touched WHERE fresh = 1)
  AND NOT EXISTS (SELECT 1 FROM inbox_items i WHERE i.conversation_id = conversations.id AND i.kind IN ('reply', 'mention', 'quote', 'dm'));
UPDATE conversations SET status = 'open', resolved_at = NULL
WHERE id IN (SELECT id FROM inbox_split_touched) AND status = 'pending' AND unanswered = 1;
UPDATE conversations SET replying_user_id = NULL, replying_until = NULL
WHERE id IN (SELECT id FROM inbox_split_touched WHERE fresh = 1);

DROP TABLE inbox_split_leads;
DROP TABLE inbox_split_touched;
DROP TABLE inbox_split_new;
DROP TABLE inbox_split_starters;
DROP TABLE inbox_split_items;
