-- ROI investments: ledger amounts booked in [$range_start, $range_end), summed per calendar
-- quarter and currency (never across currencies). $categories (a list, NULL for all) keeps only
-- those ledger categories.
-- A team or service view takes its share of each entry by service count: an organisation-wide
-- entry (team_id NULL) covers every service, a team entry covers that team's services, and the
-- view gets (services of the entry in scope) ÷ (services the entry covers). Without a team or
-- service filter every entry counts in full (even a team's that has no services yet).
WITH scope AS (
    SELECT s.service_id
    FROM services AS s
    WHERE ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
),
entries AS (
    SELECT i.source, i.external_id, i.spent_on, i.currency, i.amount
    FROM investments AS i
    WHERE i.spent_on >= CAST($range_start AS DATE) AND i.spent_on < CAST($range_end AS DATE)
      AND ($categories IS NULL OR list_contains(CAST($categories AS VARCHAR[]), i.category))
),
shares AS (
    SELECT
        e.source,
        e.external_id,
        CASE
            WHEN $team IS NULL AND $service IS NULL THEN 1.0
            ELSE count(scope.service_id)::DOUBLE / nullif(count(s.service_id), 0)
        END AS share
    FROM entries AS e
    JOIN investments AS i USING (source, external_id)
    LEFT JOIN services AS s ON i.team_id IS NULL OR s.team_id = i.team_id
    LEFT JOIN scope ON scope.service_id = s.service_id
    GROUP BY ALL
)
SELECT
    CAST(date_trunc('quarter', e.spent_on) AS DATE) AS quarter_start,
    e.currency,
    sum(CAST(e.amount AS DOUBLE) * coalesce(shares.share, 0.0)) AS amount,
    count(*) FILTER (WHERE coalesce(shares.share, 0.0) > 0) AS entries
FROM entries AS e
JOIN shares USING (source, external_id)
GROUP BY ALL
HAVING count(*) FILTER (WHERE coalesce(shares.share, 0.0) > 0) > 0
ORDER BY quarter_start, e.currency
