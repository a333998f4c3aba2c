-- Incidents started in the period, newest first, with times to acknowledge and restore (hours)
-- and the deployment that caused them. Incidents are production: no environment filter.
SELECT
    i.started_at,
    i.external_id,
    i.service_id,
    s.team_id,
    i.severity,
    i.title,
    hours_between(i.started_at, i.acknowledged_at) AS tta_h,
    hours_between(i.started_at, i.resolved_at) AS ttr_h,
    i.resolved_at IS NULL AS open,
    i.caused_by_deployment_external_id AS caused_by,
    i.url
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
ORDER BY i.started_at DESC, i.external_id
LIMIT $limit
