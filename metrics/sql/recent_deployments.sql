-- Deployments to the environment that finished (or, unfinished, started) in the period, newest
-- first, with whether each counts as a failed change the way change_failure_rate.sql counts it
-- (a successful deployment that caused an incident or was repaired by a rollback or hotfix).
SELECT
    coalesce(d.finished_at, d.started_at) AS finished_at,
    d.service_id,
    s.team_id,
    d.status,
    d.change_type,
    d.external_id,
    d.url,
    i.external_id AS incident_id,
    i.url AS incident_url,
    r.external_id AS repaired_by,
    r.change_type AS repaired_by_type,
    d.status = 'success' AND (i.external_id IS NOT NULL OR r.external_id IS NOT NULL)
        AS change_failed
FROM deployments AS d
JOIN services AS s USING (service_id)
LEFT JOIN (
    SELECT caused_by_deployment_source AS source, caused_by_deployment_external_id AS dep,
           min(external_id) AS external_id, min(url) AS url
    FROM incidents GROUP BY ALL
) AS i ON i.source = d.source AND i.dep = d.external_id
LEFT JOIN (
    SELECT source, remediates_external_id AS dep, min(external_id) AS external_id,
           min(change_type) AS change_type
    FROM deployments WHERE remediates_external_id IS NOT NULL GROUP BY ALL
) AS r ON r.source = d.source AND r.dep = d.external_id
WHERE coalesce(d.finished_at, d.started_at) >= $range_start
  AND coalesce(d.finished_at, d.started_at) < $range_end
  AND d.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
ORDER BY finished_at DESC, d.external_id
LIMIT $limit
