-- Incidents started in each bucket (an incident belongs to the bucket it started in, even when
-- it is resolved in a later one). Incidents are production by definition, so the environment
-- filter does not apply. Times to acknowledge and restore, in hours, over incidents that have
-- been acknowledged or resolved; open incidents count once resolved.
SELECT
    utc_bucket($bucket_width, i.started_at, $origin) AS bucket,
    count(*)::DOUBLE AS incident_count,
    median(hours_between(i.started_at, i.resolved_at)) AS mttr,
    avg(hours_between(i.started_at, i.resolved_at)) AS mttr_mean,
    median(hours_between(i.started_at, i.acknowledged_at)) AS mtta,
    avg(hours_between(i.started_at, i.acknowledged_at)) AS mtta_mean,
    count(*)::DOUBLE AS n_started,
    count(i.resolved_at)::DOUBLE AS n_resolved,
    count(i.acknowledged_at)::DOUBLE AS n_acknowledged
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
