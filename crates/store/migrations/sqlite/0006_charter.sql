-- The editorial charter of each workspace: the JSON document `tutti_charter::Charter` reads
-- (tone notes, banned words, required hashtags, alt text, pillars, spelling, severities). A
-- workspace without a row has the default charter.

CREATE TABLE charters (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    charter       TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
