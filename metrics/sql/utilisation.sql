-- P95 of hourly mean CPU and memory utilisation over the selected service-hours, per bucket.
-- A quantile of single hours cannot come from daily sums, so this reads the hourly samples.
SELECT
    utc_bucket($bucket_width, x.bucket_start, $origin) AS bucket,
    100.0 * quantile_cont(x.cpu_utilisation, 0.95) AS cpu_p95,
    100.0 * quantile_cont(x.memory_utilisation, 0.95) AS memory_p95,
    count(x.cpu_utilisation)::DOUBLE AS n_cpu,
    count(x.memory_utilisation)::DOUBLE AS n_memory
FROM service_level_samples AS x
JOIN services AS s USING (service_id)
WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
