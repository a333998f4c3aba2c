-- Failed deployment recovery time, hours (median): from the start to the resolution of incidents
-- caused by a deployment to the environment, for such incidents started in the bucket and resolved.
-- Reads deployment_incidents: incidents ⋈ their causing deployment, kept by the writer.
SELECT
    utc_bucket($bucket_width, i.started_at, $origin) AS bucket,
    scope_key($scope_level, s.team_id, s.service_id) AS scope_id,
    median(hours_between(i.started_at, i.resolved_at)) AS time_to_restore,
    count(*)::DOUBLE AS n
FROM deployment_incidents AS i
JOIN services AS s ON s.service_id = i.service_id
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND i.resolved_at IS NOT NULL
  AND i.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
