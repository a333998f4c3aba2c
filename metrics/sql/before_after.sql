-- Incidents in the $days days before and after a pivot moment (an annotation such as an
-- adoption date): count and times to acknowledge and restore (hours, median and mean).
SELECT
    CASE WHEN i.started_at < $pivot THEN 'before' ELSE 'after' END AS side,
    count(*) AS incidents,
    count(i.resolved_at) AS resolved,
    median(hours_between(i.started_at, i.resolved_at)) AS mttr_median_h,
    avg(hours_between(i.started_at, i.resolved_at)) AS mttr_mean_h,
    median(hours_between(i.started_at, i.acknowledged_at)) AS mtta_median_h
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= CAST($pivot AS TIMESTAMPTZ) - to_days(CAST($days AS INTEGER))
  AND i.started_at < CAST($pivot AS TIMESTAMPTZ) + to_days(CAST($days AS INTEGER))
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
ORDER BY side DESC
