-- Listening, second part: per-workspace listening settings (retention, where alerts go),
-- crisis mode, alert rules with their learned baselines, the alerts raised, and leases on
-- sources so that with several workers each source is followed by one of them.

CREATE TABLE listening_settings (
    workspace_id    INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    retention_days  INTEGER NOT NULL DEFAULT 90,
    webhook_url     TEXT,
    webhook_secret  TEXT,
    alert_emails    TEXT NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL
);

CREATE TABLE crisis_mode (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    since         INTEGER NOT NULL,
    started_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE alert_rules (
    id             INTEGER PRIMARY KEY,
    query_id       INTEGER NOT NULL REFERENCES listening_queries(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    keyword        TEXT,
    deliver        TEXT NOT NULL DEFAULT 'app',
    active         INTEGER NOT NULL DEFAULT 1,
    state          TEXT,
    checked_until  INTEGER NOT NULL,
    created_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX alert_rules_by_query ON alert_rules (query_id);

CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    query_id          INTEGER NOT NULL REFERENCES listening_queries(id) ON DELETE CASCADE,
    rule_id           INTEGER REFERENCES alert_rules(id) ON DELETE SET NULL,
    kind              TEXT NOT NULL,
    observed          REAL NOT NULL,
    expected          REAL NOT NULL,
    window_start      INTEGER NOT NULL,
    window_end        INTEGER NOT NULL,
    samples           TEXT NOT NULL,
    crisis_suggested  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);
CREATE INDEX alerts_by_workspace ON alerts (workspace_id, created_at);

ALTER TABLE listening_sources ADD COLUMN lease_owner TEXT;
ALTER TABLE listening_sources ADD COLUMN lease_until INTEGER;
