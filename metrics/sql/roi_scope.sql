-- The scope's share of the organisation by service count: roi.py scales organisation-wide
-- settings (technical staff, annual revenue) by scope_services ÷ all_services for a team or
-- service view.
SELECT
    count(*) FILTER (
        WHERE ($team IS NULL OR s.team_id = $team)
          AND ($service IS NULL OR s.service_id = $service)
    ) AS scope_services,
    count(*) AS all_services
FROM services AS s
