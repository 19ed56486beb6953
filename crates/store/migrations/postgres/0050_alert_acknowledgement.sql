-- An alert is acknowledged once, by someone of the team: who and when are kept (and the audit
-- log says it too). The sidebar counts the workspace's alerts nobody has acknowledged yet.
-- A workspace may say which language its team works in (fr, en), chosen when it is created.

ALTER TABLE alerts ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE alerts ADD COLUMN acknowledged_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX alerts_unacknowledged ON alerts (workspace_id) WHERE acknowledged_at IS NULL;

ALTER TABLE workspaces ADD COLUMN language TEXT;
