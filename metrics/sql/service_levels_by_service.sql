-- Service levels per service over the period (one row per service with samples): the same
-- formulas as service_levels.sql (Σ errors ÷ Σ requests; P95 from the summed histogram, never
-- averaged), grouped by service so a page can list the services that miss their targets.
SELECT
    s.service_id,
    s.name,
    s.team_id,
    100.0 * (1.0 - sum(x.errors)::DOUBLE / nullif(sum(x.requests), 0)) AS availability,
    100.0 * sum(x.errors)::DOUBLE / nullif(sum(x.requests), 0) AS error_rate,
    histogram_quantile(
        0.95,
        [sum(x.latency_le_5ms), sum(x.latency_le_10ms), sum(x.latency_le_25ms),
         sum(x.latency_le_50ms), sum(x.latency_le_100ms), sum(x.latency_le_250ms),
         sum(x.latency_le_500ms), sum(x.latency_le_1000ms), sum(x.latency_le_2500ms),
         sum(x.latency_le_5000ms), sum(x.latency_le_10000ms), sum(x.latency_le_inf)],
        latency_bounds_ms()) AS p95_latency,
    100.0 * avg(x.cpu_utilisation) AS cpu_mean,
    100.0 * avg(x.memory_utilisation) AS memory_mean,
    sum(x.requests)::DOUBLE AS n_requests
FROM service_level_samples AS x
JOIN services AS s USING (service_id)
WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
ORDER BY s.service_id
