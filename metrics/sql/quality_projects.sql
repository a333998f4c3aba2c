-- Each SonarQube project's latest analysis before the period ends, with the coverage formula of
-- quality.sql ((covered lines + covered conditions) ÷ (lines + conditions to cover)). Analyses
-- older than 90 days are returned flagged stale: the KPIs leave them out, the page says so.
SELECT
    q.project_key,
    q.service_id,
    s.team_id,
    q.analysed_at,
    100.0 * (q.lines_to_cover - q.uncovered_lines
             + coalesce(q.conditions_to_cover, 0) - coalesce(q.uncovered_conditions, 0))::DOUBLE
        / nullif(q.lines_to_cover + coalesce(q.conditions_to_cover, 0), 0) AS coverage,
    100.0 * (q.new_lines_to_cover - q.new_uncovered_lines)::DOUBLE
        / nullif(q.new_lines_to_cover, 0) AS new_code_coverage,
    q.technical_debt_minutes / 480.0 AS tech_debt_days,
    q.bugs,
    q.vulnerabilities,
    q.quality_gate_status,
    q.analysed_at <= CAST($range_end AS TIMESTAMPTZ) - INTERVAL 90 DAY AS stale
FROM quality_snapshots AS q
JOIN services AS s USING (service_id)
WHERE q.analysed_at < $range_end
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
QUALIFY row_number() OVER (PARTITION BY q.source, q.project_key ORDER BY q.analysed_at DESC) = 1
ORDER BY q.project_key
