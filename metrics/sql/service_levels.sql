-- Service levels per bucket, from the daily rollup of the selected services' hourly samples
-- (service_level_daily: plain sums per service and UTC day, so whole-day buckets add up to
-- exactly what the hourly rows give). Ratios are Σ numerator ÷ Σ denominator (weighted by
-- requests or probes, never a mean of per-service ratios); P95 latency is interpolated from the
-- summed histogram buckets (Prometheus histogram_quantile); CPU and memory means are over
-- service-hours (Σ ÷ count). P95 of CPU and memory need single hours: utilisation.sql.
-- Periods are whole UTC days, so [range_start, range_end) is exactly a set of days.
SELECT
    utc_bucket($bucket_width, CAST(x.day AS TIMESTAMP), $origin) AS bucket,
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
    100.0 * sum(x.cpu_sum) / nullif(sum(x.cpu_samples), 0) AS cpu_mean,
    100.0 * sum(x.memory_sum) / nullif(sum(x.memory_samples), 0) AS memory_mean,
    sum(x.requests)::DOUBLE AS n_requests,
    coalesce(sum(x.probes_total), 0)::DOUBLE AS n_probes,
    sum(x.cpu_samples)::DOUBLE AS n_cpu,
    sum(x.memory_samples)::DOUBLE AS n_memory
FROM service_level_daily AS x
JOIN services AS s USING (service_id)
WHERE x.day >= utc_date($range_start) AND x.day < utc_date($range_end)
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
