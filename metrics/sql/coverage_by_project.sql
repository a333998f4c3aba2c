-- Coverage per project at the end of each bucket: the project's latest analysis before the
-- bucket ends and no more than 90 days before it (as quality.sql), with SonarQube's formula.
WITH buckets AS (
    SELECT
        b AS bucket,
        least(b + CAST($bucket_width AS INTERVAL), CAST($range_end AS TIMESTAMPTZ)) AS bucket_end
    FROM unnest(generate_series(
        CAST($origin AS TIMESTAMPTZ),
        CAST($range_end AS TIMESTAMPTZ) - INTERVAL 1 MICROSECOND,
        CAST($bucket_width AS INTERVAL))) AS t(b)
    WHERE b + CAST($bucket_width AS INTERVAL) > $range_start
),
-- Only analyses that can be the latest within 90 days of some bucket end: older ones are never
-- chosen (the WHERE below drops them), and the ASOF join then sorts a quarter of the rows.
recent AS (
    SELECT * FROM quality_snapshots
    WHERE analysed_at >= CAST($range_start AS TIMESTAMPTZ) - INTERVAL 90 DAY
      AND analysed_at < $range_end
),
projects AS (
    SELECT DISTINCT q.source, q.project_key
    FROM recent AS q
    JOIN services AS s USING (service_id)
    WHERE ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
),
latest AS (
    SELECT buckets.bucket, buckets.bucket_end, q.*
    FROM (SELECT * FROM buckets CROSS JOIN projects) AS buckets
    ASOF JOIN recent AS q
        ON buckets.source = q.source
        AND buckets.project_key = q.project_key
        AND buckets.bucket_end > q.analysed_at
)
SELECT
    bucket,
    project_key,
    100.0 * (lines_to_cover - uncovered_lines
             + coalesce(conditions_to_cover, 0) - coalesce(uncovered_conditions, 0))::DOUBLE
        / nullif(lines_to_cover + coalesce(conditions_to_cover, 0), 0) AS value,
    (lines_to_cover + coalesce(conditions_to_cover, 0))::DOUBLE AS n
FROM latest
WHERE analysed_at > bucket_end - INTERVAL 90 DAY
ORDER BY project_key, bucket
