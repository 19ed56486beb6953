-- An alert is raised once per rule, kind and window: the schema refuses a second one, whatever
-- the workers do. Copies left by an earlier version (same rule, kind and window) keep their
-- oldest row.
DELETE FROM alerts
WHERE rule_id IS NOT NULL
  AND id NOT IN (SELECT MIN(id) FROM alerts WHERE rule_id IS NOT NULL GROUP BY rule_id, kind, window_start);
CREATE UNIQUE INDEX alerts_once ON alerts (rule_id, kind, window_start);
