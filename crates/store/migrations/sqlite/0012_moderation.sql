-- Moderation (D5): rules that watch what the community writes to the brand, what they hit, and
-- the actions they take (kept in `inbox_actions` with their outcome and what undoes them).

CREATE TABLE moderation_rules (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    -- JSON: words, regex, toxicity, authors, langs, domains, kinds (all must hold).
    conditions    TEXT NOT NULL,
    -- JSON: a list of {"kind", "value"} (tag, assign, priority, hide, mute, block, report, reply).
    actions       TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Which rule hit which item, once.
CREATE TABLE moderation_hits (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    rule_id       INTEGER NOT NULL REFERENCES moderation_rules(id) ON DELETE CASCADE,
    item_id       INTEGER NOT NULL REFERENCES inbox_items(id) ON DELETE CASCADE,
    person_id     INTEGER REFERENCES people(id) ON DELETE SET NULL,
    at            INTEGER NOT NULL,
    UNIQUE (rule_id, item_id)
);
CREATE INDEX moderation_hits_by_person ON moderation_hits (workspace_id, person_id, at);

-- The rule that asked an action, its argument (a tag, a reply's text), what undoes a local
-- action (the value before), and when and by whom it was undone.
ALTER TABLE inbox_actions ADD COLUMN rule_id INTEGER REFERENCES moderation_rules(id) ON DELETE SET NULL;
ALTER TABLE inbox_actions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_actions ADD COLUMN undo_ref TEXT;
ALTER TABLE inbox_actions ADD COLUMN undone_at INTEGER;
ALTER TABLE inbox_actions ADD COLUMN undone_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX inbox_actions_by_workspace ON inbox_actions (workspace_id, created_at);
