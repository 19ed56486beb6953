-- A secret iCalendar feed per workspace: the address holds a token, stored hashed.

CREATE TABLE calendar_feeds (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL
);
