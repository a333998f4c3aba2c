-- Code quality as of the end of each bucket: the latest analysis of each project made before the
-- bucket ends and no more than 90 days before it. Coverage uses SonarQube's formula on summed
-- counts ((covered lines + covered conditions) ÷ (lines + conditions to cover)), so large
-- codebases weigh more; duplication is weighted by lines to cover; counts are summed.
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
grid AS (SELECT * FROM buckets CROSS JOIN projects),
latest AS (
    SELECT grid.bucket, grid.bucket_end, q.*
    FROM grid
    ASOF JOIN recent AS q
        ON grid.source = q.source
        AND grid.project_key = q.project_key
        AND grid.bucket_end > q.analysed_at
)
SELECT
    bucket,
    100.0 * sum(lines_to_cover - uncovered_lines
                + coalesce(conditions_to_cover, 0) - coalesce(uncovered_conditions, 0))::DOUBLE
        / nullif(sum(lines_to_cover + coalesce(conditions_to_cover, 0)), 0) AS coverage,
    100.0 * sum(new_lines_to_cover - new_uncovered_lines)::DOUBLE
        / nullif(sum(new_lines_to_cover), 0) AS new_code_coverage,
    sum(technical_debt_minutes) / 480.0 AS tech_debt_days,
    sum(bugs)::DOUBLE AS bugs,
    sum(vulnerabilities)::DOUBLE AS vulnerabilities,
    sum(code_smells)::DOUBLE AS code_smells,
    sum(duplicated_lines_density * lines_to_cover) / nullif(sum(lines_to_cover), 0) AS duplication,
    100.0 * count(*) FILTER (WHERE quality_gate_status = 'OK')
        / nullif(count(quality_gate_status), 0) AS quality_gate_pass_rate,
    sum(lines_to_cover + coalesce(conditions_to_cover, 0))::DOUBLE AS n_lines,
    sum(new_lines_to_cover)::DOUBLE AS n_new_lines,
    count(*)::DOUBLE AS n_projects
FROM latest
WHERE analysed_at > bucket_end - INTERVAL 90 DAY
GROUP BY ALL
