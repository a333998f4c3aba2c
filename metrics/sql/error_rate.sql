-- Error rate, percent: Σ errors (HTTP 5xx) ÷ Σ requests, weighted by requests.
SELECT
    time_bucket(CAST($bucket_width AS INTERVAL), x.bucket_start, CAST($origin AS TIMESTAMPTZ)) AS bucket,
    100.0 * sum(x.errors)::DOUBLE / nullif(sum(x.requests), 0) AS value,
    sum(x.requests)::DOUBLE AS n
FROM service_level_samples AS x
JOIN services AS s USING (service_id)
WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
