-- The community manager's desk around the inbox: saved replies with variables, internal notes
-- (with @mentions of colleagues), saved views, and the assignment rule of each workspace.

CREATE TABLE saved_replies (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name, lang)
);

CREATE TABLE inbox_notes (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    author_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX inbox_notes_by_conversation ON inbox_notes (conversation_id, created_at);

CREATE TABLE inbox_views (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    query         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, user_id, name)
);

-- manual, or round_robin among the workspace's community managers.
CREATE TABLE inbox_assignment (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    mode          TEXT NOT NULL,
    last_user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    updated_at    INTEGER NOT NULL
);
