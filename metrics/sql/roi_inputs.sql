-- ROI measured inputs, one row per calendar quarter (UTC) from the quarter of $range_start up to
-- $range_end (exclusive), quarters without activity included with zero counts:
--   days                 days of the quarter inside [$range_start, $range_end) (the last one may
--                        be partial), to annualise counts and to prorate yearly values
--   deployments          successful deployments to the environment finished in the quarter
--   failed_deployments   of those, the ones that caused an incident or were repaired by a
--                        rollback or hotfix deployment (same rule as change_failure_rate.sql)
--   rework_deployments   of those, the ones that are themselves unplanned rework (hotfix or
--                        rollback): the rework proxy of metrics/reports/roi.py
--   restored_incidents   resolved incidents caused by a deployment to the environment, started in
--                        the quarter
--   recovery_hours       their median hours from start to resolution (as time_to_restore.sql),
--                        NULL when there were none
WITH quarters AS (
    SELECT
        q AS quarter_start,
        greatest(q, CAST($range_start AS TIMESTAMPTZ)) AS from_ts,
        least(q + INTERVAL 3 MONTH, CAST($range_end AS TIMESTAMPTZ)) AS to_ts
    FROM unnest(generate_series(
        date_trunc('quarter', CAST($range_start AS TIMESTAMPTZ)),
        CAST($range_end AS TIMESTAMPTZ) - INTERVAL 1 MICROSECOND,
        INTERVAL 3 MONTH)) AS t(q)
),
scoped AS (
    SELECT d.source, d.external_id, d.finished_at, d.change_type
    FROM deployments AS d
    JOIN services AS s USING (service_id)
    WHERE d.finished_at >= $range_start AND d.finished_at < $range_end
      AND d.environment = $environment
      AND d.status = 'success'
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
),
deploys AS (
    SELECT
        date_trunc('quarter', d.finished_at) AS quarter_start,
        count(*) AS deployments,
        count(*) FILTER (
            WHERE EXISTS (SELECT 1 FROM incidents AS i
                          WHERE i.caused_by_deployment_source = d.source
                            AND i.caused_by_deployment_external_id = d.external_id)
               OR EXISTS (SELECT 1 FROM deployments AS r
                          WHERE r.source = d.source
                            AND r.remediates_external_id = d.external_id)
        ) AS failed_deployments,
        count(*) FILTER (WHERE d.change_type IN ('hotfix', 'rollback')) AS rework_deployments
    FROM scoped AS d
    GROUP BY ALL
),
restores AS (
    SELECT
        date_trunc('quarter', i.started_at) AS quarter_start,
        count(*) AS restored_incidents,
        median(hours_between(i.started_at, i.resolved_at)) AS recovery_hours
    FROM incidents AS i
    JOIN deployments AS d
        ON d.source = i.caused_by_deployment_source
        AND d.external_id = i.caused_by_deployment_external_id
    JOIN services AS s ON s.service_id = i.service_id
    WHERE i.started_at >= $range_start AND i.started_at < $range_end
      AND i.resolved_at IS NOT NULL
      AND d.environment = $environment
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
    GROUP BY ALL
)
SELECT
    q.quarter_start,
    (epoch(q.to_ts) - epoch(q.from_ts)) / 86400.0 AS days,
    coalesce(deploys.deployments, 0) AS deployments,
    coalesce(deploys.failed_deployments, 0) AS failed_deployments,
    coalesce(deploys.rework_deployments, 0) AS rework_deployments,
    coalesce(restores.restored_incidents, 0) AS restored_incidents,
    restores.recovery_hours
FROM quarters AS q
LEFT JOIN deploys USING (quarter_start)
LEFT JOIN restores USING (quarter_start)
ORDER BY q.quarter_start
