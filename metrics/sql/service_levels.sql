-- Service levels per bucket, from hourly samples of the selected services in the environment.
-- Ratios are Σ numerator ÷ Σ denominator (weighted by requests or probes, never a mean of
-- per-service ratios); P95 latency is interpolated from the summed histogram buckets
-- (Prometheus histogram_quantile); CPU and memory are over service-hours (mean and P95).
SELECT
    time_bucket(CAST($bucket_width AS INTERVAL), x.bucket_start, CAST($origin AS TIMESTAMPTZ)) AS bucket,
    100.0 * (1.0 - sum(x.errors)::DOUBLE / nullif(sum(x.requests), 0)) AS availability,
    100.0 * sum(x.errors)::DOUBLE / nullif(sum(x.requests), 0) AS error_rate,
    histogram_quantile(
        0.95,
        [sum(x.latency_le_5ms), sum(x.latency_le_10ms), sum(x.latency_le_25ms),
         sum(x.latency_le_50ms), sum(x.latency_le_100ms), sum(x.latency_le_250ms),
         sum(x.latency_le_500ms), sum(x.latency_le_1000ms), sum(x.latency_le_2500ms),
         sum(x.latency_le_5000ms), sum(x.latency_le_10000ms), sum(x.latency_le_inf)],
        latency_bounds_ms()) AS p95_latency,
    100.0 * sum(x.probes_ok)::DOUBLE / nullif(sum(x.probes_total), 0) AS uptime,
    100.0 * avg(x.cpu_utilisation) AS cpu_mean,
    100.0 * quantile_cont(x.cpu_utilisation, 0.95) AS cpu_p95,
    100.0 * avg(x.memory_utilisation) AS memory_mean,
    100.0 * quantile_cont(x.memory_utilisation, 0.95) AS memory_p95,
    sum(x.requests)::DOUBLE AS n_requests,
    coalesce(sum(x.probes_total), 0)::DOUBLE AS n_probes,
    count(x.cpu_utilisation)::DOUBLE AS n_cpu,
    count(x.memory_utilisation)::DOUBLE AS n_memory
FROM service_level_samples AS x
JOIN services AS s USING (service_id)
WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
