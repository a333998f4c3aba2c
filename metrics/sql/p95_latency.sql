-- P95 latency, milliseconds: the histogram buckets of every selected service and hour are summed,
-- then the 95th percentile is interpolated inside its bucket (Prometheus histogram_quantile).
SELECT
    time_bucket(CAST($bucket_width AS INTERVAL), x.bucket_start, CAST($origin AS TIMESTAMPTZ)) AS bucket,
    histogram_quantile(
        0.95,
        [sum(x.latency_le_5ms), sum(x.latency_le_10ms), sum(x.latency_le_25ms),
         sum(x.latency_le_50ms), sum(x.latency_le_100ms), sum(x.latency_le_250ms),
         sum(x.latency_le_500ms), sum(x.latency_le_1000ms), sum(x.latency_le_2500ms),
         sum(x.latency_le_5000ms), sum(x.latency_le_10000ms), sum(x.latency_le_inf)],
        latency_bounds_ms()) AS value,
    sum(x.requests)::DOUBLE AS n
FROM service_level_samples AS x
JOIN services AS s USING (service_id)
WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
