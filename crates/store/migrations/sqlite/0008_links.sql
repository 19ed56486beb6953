-- Short links: Tutti's own redirect (`/l/{code}`) for the links in posts, counting clicks.

CREATE TABLE short_links (
    code          TEXT PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id       INTEGER REFERENCES posts(id) ON DELETE SET NULL,
    url           TEXT NOT NULL,
    clicks        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX short_links_by_workspace ON short_links (workspace_id, created_at);
CREATE INDEX short_links_by_post ON short_links (post_id);
