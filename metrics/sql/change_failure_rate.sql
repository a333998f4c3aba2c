-- Change failure rate, percent: successful deployments to the environment that caused an incident
-- or were repaired by a rollback or hotfix deployment ÷ all successful deployments to it.
-- Deployment rework rate (DORA 2024), percent: unplanned deployments (hotfix or rollback) ÷ all
-- successful deployments.
-- Reads deployment_outcomes: successful deployments with their failed flag, kept by the writer.
SELECT
    utc_bucket($bucket_width, d.finished_at, $origin) AS bucket,
    scope_key($scope_level, s.team_id, s.service_id) AS scope_id,
    100.0 * count(*) FILTER (WHERE d.failed)::DOUBLE / count(*) AS change_failure_rate,
    100.0 * count(*) FILTER (WHERE d.change_type IN ('hotfix', 'rollback'))::DOUBLE
        / count(*) AS rework_rate,
    count(*)::DOUBLE AS n
FROM deployment_outcomes AS d
JOIN services AS s USING (service_id)
WHERE d.finished_at >= $range_start AND d.finished_at < $range_end
  AND d.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
