-- Schema v7: environments are stored in lower case (connectors.core.records.environment_name), so
-- DevLake's PRODUCTION or GitHub's Production link and filter like production. Rows written
-- before v7 are brought in line; a service-level bucket whose lower-case twin already exists
-- keeps its spelling rather than colliding with it. The next sync or import re-links changes and
-- incidents; derived tables are rebuilt after every migration.
UPDATE deployments SET environment = lower(trim(environment))
WHERE environment <> lower(trim(environment));

UPDATE service_level_samples AS s SET environment = lower(trim(s.environment))
WHERE s.environment <> lower(trim(s.environment))
  AND NOT EXISTS (
      SELECT 1 FROM service_level_samples AS t
      WHERE t.service_id = s.service_id AND t.bucket_start = s.bucket_start
        AND t.environment = lower(trim(s.environment))
  );

-- Also v7: a change whose shipping deployment finished before its merge (deployed from its
-- branch, merged afterwards) has no merge-to-deploy time (data/derived.py); shipped_changes is
-- rebuilt after this migration.
COMMENT ON COLUMN shipped_changes.merge_to_deploy_h IS 'hours | merge to deployed_at; NULL when the source reports no merge, or when the deployment finished before the merge (shipped from its branch)';
