-- Schema v2: classify deployments so change failure rate and DORA 2024 rework rate can be computed
-- from deployments alone (a rollback or hotfix marks the deployment it remediates as failed).

ALTER TABLE deployments ADD COLUMN change_type VARCHAR DEFAULT 'planned';
ALTER TABLE deployments ADD COLUMN remediates_external_id VARCHAR;
COMMENT ON COLUMN deployments.change_type IS 'category | planned, hotfix or rollback (hotfix and rollback are unplanned rework)';
COMMENT ON COLUMN deployments.remediates_external_id IS 'identifier | external_id (same source) of the deployment a hotfix or rollback repairs';
