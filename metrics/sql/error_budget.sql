-- Error budget per service over the rolling 30 days that end at $range_end (request-based):
-- the budget is the share of requests the availability objective allows to fail, (1 − SLO),
-- i.e. 30 d × 24 h × 60 min × (1 − SLO) = 216 minutes at 99.5 %. Consumed = error ratio ÷
-- (1 − SLO). Burn rate over a window = the window's error ratio ÷ (1 − SLO); 1× spends the
-- budget exactly in 30 days. Windows are whole hours (samples are hourly), ending at $range_end.
WITH objectives AS (
    SELECT o.service_id, o.slo FROM (SELECT unnest($objectives) AS o)
),
windows AS (
    SELECT
        x.service_id,
        sum(x.requests) AS requests_30d,
        sum(x.errors) AS errors_30d,
        sum(x.requests) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 1 HOUR) AS requests_1h,
        sum(x.errors) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 1 HOUR) AS errors_1h,
        sum(x.requests) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 6 HOUR) AS requests_6h,
        sum(x.errors) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 6 HOUR) AS errors_6h,
        sum(x.requests) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 3 DAY) AS requests_3d,
        sum(x.errors) FILTER (WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 3 DAY) AS errors_3d
    FROM service_level_samples AS x
    JOIN services AS s USING (service_id)
    WHERE x.bucket_start >= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 30 DAY
      AND x.bucket_start < $range_end
      AND x.environment = $environment
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
    GROUP BY x.service_id
)
SELECT
    w.service_id,
    o.slo,
    100.0 * (1 - w.errors_30d::DOUBLE / nullif(w.requests_30d, 0)) AS availability_30d,
    30 * 24 * 60 * (1 - o.slo / 100.0) AS budget_minutes,
    100.0 * (1 - (w.errors_30d::DOUBLE / nullif(w.requests_30d, 0)) / (1 - o.slo / 100.0))
        AS budget_remaining_pct,
    30 * 24 * 60 * (1 - o.slo / 100.0)
        * (1 - (w.errors_30d::DOUBLE / nullif(w.requests_30d, 0)) / (1 - o.slo / 100.0))
        AS budget_remaining_minutes,
    (w.errors_1h::DOUBLE / nullif(w.requests_1h, 0)) / (1 - o.slo / 100.0) AS burn_rate_1h,
    (w.errors_6h::DOUBLE / nullif(w.requests_6h, 0)) / (1 - o.slo / 100.0) AS burn_rate_6h,
    (w.errors_3d::DOUBLE / nullif(w.requests_3d, 0)) / (1 - o.slo / 100.0) AS burn_rate_3d,
    (w.errors_30d::DOUBLE / nullif(w.requests_30d, 0)) / (1 - o.slo / 100.0) AS burn_rate_30d,
    w.requests_30d::DOUBLE AS requests_30d
FROM windows AS w
JOIN objectives AS o USING (service_id)
ORDER BY budget_remaining_pct ASC NULLS LAST, w.service_id
