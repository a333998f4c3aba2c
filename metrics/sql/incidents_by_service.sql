-- Incidents started in the period per service, with median time to restore (hours) over the
-- resolved ones and how many were caused by a deployment.
SELECT
    i.service_id,
    s.team_id,
    count(*) AS incidents,
    count(*) FILTER (WHERE i.severity IN ('SEV1', 'SEV2')) AS major,
    count(i.caused_by_deployment_external_id) AS caused_by_deployment,
    median(hours_between(i.started_at, i.resolved_at)) AS mttr_median_h
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
ORDER BY incidents DESC, i.service_id
