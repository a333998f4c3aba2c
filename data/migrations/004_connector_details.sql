-- Schema v4: what the SonarQube connector reads besides counts (SonarQube's own coverage figures
-- for cross-checking the weighted ones, ratings) and a JSON summary per sync run.

ALTER TABLE quality_snapshots ADD COLUMN coverage DOUBLE;
ALTER TABLE quality_snapshots ADD COLUMN new_coverage DOUBLE;
ALTER TABLE quality_snapshots ADD COLUMN reliability_rating VARCHAR;
ALTER TABLE quality_snapshots ADD COLUMN security_rating VARCHAR;
ALTER TABLE sync_runs ADD COLUMN details VARCHAR;
COMMENT ON COLUMN quality_snapshots.coverage IS 'percent 0-100 | coverage as SonarQube reports it (for cross-checking the weighted figure)';
COMMENT ON COLUMN quality_snapshots.new_coverage IS 'percent 0-100 | coverage of new code as SonarQube reports it';
COMMENT ON COLUMN quality_snapshots.reliability_rating IS 'category | A (best) to E';
COMMENT ON COLUMN quality_snapshots.security_rating IS 'category | A (best) to E';
COMMENT ON COLUMN sync_runs.details IS 'JSON | rows per table, connector type and warnings of the run (never secrets)';
