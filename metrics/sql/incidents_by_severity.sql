-- Incidents started in the period by severity, with median and mean time to restore (hours).
SELECT
    i.severity,
    count(*) AS incidents,
    count(i.resolved_at) AS resolved,
    median(hours_between(i.started_at, i.resolved_at)) AS mttr_median_h,
    avg(hours_between(i.started_at, i.resolved_at)) AS mttr_mean_h,
    median(hours_between(i.started_at, i.acknowledged_at)) AS mtta_median_h
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY i.severity
ORDER BY i.severity
