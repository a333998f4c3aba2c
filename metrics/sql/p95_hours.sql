-- Share of hours meeting the latency target, percent: for every hour, the P95 of the summed
-- histograms of the selected services; the share of hours whose P95 is at or below the target.
WITH hours AS (
    SELECT
        x.bucket_start,
        histogram_quantile(
            0.95,
            [sum(x.latency_le_5ms), sum(x.latency_le_10ms), sum(x.latency_le_25ms),
             sum(x.latency_le_50ms), sum(x.latency_le_100ms), sum(x.latency_le_250ms),
             sum(x.latency_le_500ms), sum(x.latency_le_1000ms), sum(x.latency_le_2500ms),
             sum(x.latency_le_5000ms), sum(x.latency_le_10000ms), sum(x.latency_le_inf)],
            latency_bounds_ms()) AS p95
    FROM service_level_samples AS x
    JOIN services AS s USING (service_id)
    WHERE x.bucket_start >= $range_start AND x.bucket_start < $range_end
      AND x.environment = $environment
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
    GROUP BY x.bucket_start
)
SELECT
    utc_bucket($bucket_width, bucket_start, $origin) AS bucket,
    100.0 * count(*) FILTER (WHERE p95 <= $latency_target_ms) / count(*) AS p95_hours_within_target,
    count(*)::DOUBLE AS n
FROM hours
WHERE p95 IS NOT NULL
GROUP BY ALL
