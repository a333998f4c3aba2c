-- Time to restore service, hours (median, labelled MTTR): from start to resolution of every
-- incident started in the bucket and resolved. Incidents are production by definition, so the
-- environment filter does not apply; open incidents count once resolved.
SELECT
    time_bucket(CAST($bucket_width AS INTERVAL), i.started_at, CAST($origin AS TIMESTAMPTZ)) AS bucket,
    median(epoch(i.resolved_at - i.started_at) / 3600.0) AS value,
    count(*)::DOUBLE AS n
FROM incidents AS i
JOIN services AS s USING (service_id)
WHERE i.started_at >= $range_start AND i.started_at < $range_end
  AND i.resolved_at IS NOT NULL
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
