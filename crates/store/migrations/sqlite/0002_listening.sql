-- Listening: saved queries, the sources that feed them, and the mentions they matched.

CREATE TABLE listening_queries (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    query         TEXT NOT NULL,
    kind          TEXT NOT NULL DEFAULT 'brand',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE listening_sources (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    address       TEXT NOT NULL,
    cursor        TEXT,
    lag_ms        INTEGER,
    delivered     INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    updated_at    INTEGER NOT NULL,
    UNIQUE (kind, address)
);

CREATE TABLE mentions (
    id               INTEGER PRIMARY KEY,
    query_id         INTEGER NOT NULL REFERENCES listening_queries(id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    url              TEXT,
    author           TEXT,
    text             TEXT NOT NULL,
    lang             TEXT,
    sentiment        TEXT,
    sentiment_score  REAL,
    toxicity         REAL,
    published_at     INTEGER,
    matched_at       INTEGER NOT NULL,
    UNIQUE (query_id, external_id)
);
CREATE INDEX mentions_by_query ON mentions (query_id, matched_at);
