-- The community CRM (D6) and product feedback (D7).
--
-- People (0011) gain notes with their author, custom fields, saved segments and scores. Scores
-- are derived data: `person_scores` is rebuilt for a whole workspace by one set of SQL
-- statements (`store::people::refresh_scores`), when it is older than a few minutes or after a
-- merge or a split, so that lists sort and filter tens of thousands of people on an index.
-- Tags stay in `people.tags` (`,a,b,`, as conversations keep theirs).
--
-- Each answerable inbox item carries a suggested feedback category (complaint, bug, feature,
-- question, praise; empty when none applies), set at ingestion, which a community manager
-- confirms or changes.

ALTER TABLE inbox_items ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_items ADD COLUMN category_confirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_items ADD COLUMN category_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX inbox_items_by_category ON inbox_items (workspace_id, category, created_at);
CREATE INDEX inbox_items_by_person ON inbox_items (person_id, created_at);

CREATE TABLE person_notes (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    author_user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_name     TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX person_notes_by_person ON person_notes (person_id, created_at);

CREATE TABLE person_fields (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    field_key     TEXT NOT NULL,
    field_value   TEXT NOT NULL,
    PRIMARY KEY (person_id, field_key)
);

CREATE TABLE segments (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- The saved filter, JSON (`store::people::PeopleFilter`).
    definition    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE person_scores (
    person_id           INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    items               INTEGER NOT NULL DEFAULT 0,
    engagement          REAL NOT NULL DEFAULT 0,
    positives           INTEGER NOT NULL DEFAULT 0,
    negatives           INTEGER NOT NULL DEFAULT 0,
    defends             INTEGER NOT NULL DEFAULT 0,
    advocacy            REAL NOT NULL DEFAULT 0,
    -- Average sentiment (pos +1, neu 0, neg -1) of the last 30 days, and of the 60 before.
    recent_sentiment    REAL,
    previous_sentiment  REAL,
    -- Items older than 30 days (what makes a loyal member).
    earlier_items       INTEGER NOT NULL DEFAULT 0,
    -- '', quiet (loyal and silent for 30 days), souring (loyal, recent sentiment turned negative).
    churn               TEXT NOT NULL DEFAULT '',
    computed_at         INTEGER NOT NULL
);
CREATE INDEX person_scores_engagement ON person_scores (workspace_id, engagement);
CREATE INDEX person_scores_advocacy ON person_scores (workspace_id, advocacy);

CREATE TABLE community_refresh (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    refreshed_at  INTEGER NOT NULL
);
