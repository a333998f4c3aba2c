-- Deployments to the environment that finished (or, unfinished, started) in the period, newest
-- first, with whether each counts as a failed change the way change_failure_rate.sql counts it
-- (a successful deployment that caused an incident or was repaired by a rollback or hotfix).
-- The newest $limit deployments are chosen first, then only their incidents and repairs are
-- looked up. "Finished, or unfinished and started" is written as two branches on plain columns
-- so that the period skips whole blocks of the time-ordered table (a coalesce() cannot).
WITH in_period AS (
    SELECT d.finished_at AS shown_at, d.*
    FROM deployments AS d
    WHERE d.finished_at >= $range_start AND d.finished_at < $range_end
      AND d.environment = $environment
    UNION ALL
    SELECT d.started_at AS shown_at, d.*
    FROM deployments AS d
    WHERE d.finished_at IS NULL
      AND d.started_at >= $range_start AND d.started_at < $range_end
      AND d.environment = $environment
),
recent AS (
    SELECT
        p.shown_at, p.source, p.service_id, s.team_id, p.status, p.change_type,
        p.external_id, p.url
    FROM in_period AS p
    JOIN services AS s USING (service_id)
    WHERE ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
    ORDER BY p.shown_at DESC, p.external_id
    LIMIT $limit
),
caused AS (
    SELECT caused_by_deployment_source AS source, caused_by_deployment_external_id AS dep,
           min(external_id) AS external_id, min(url) AS url
    FROM incidents
    WHERE caused_by_deployment_external_id IN (SELECT external_id FROM recent)
    GROUP BY ALL
),
repairs AS (
    SELECT source, remediates_external_id AS dep, min(external_id) AS external_id,
           min(change_type) AS change_type
    FROM deployments
    WHERE remediates_external_id IN (SELECT external_id FROM recent)
    GROUP BY ALL
)
SELECT
    d.shown_at AS finished_at,
    d.service_id,
    d.team_id,
    d.status,
    d.change_type,
    d.external_id,
    d.url,
    i.external_id AS incident_id,
    i.url AS incident_url,
    r.external_id AS repaired_by,
    r.change_type AS repaired_by_type,
    d.status = 'success' AND (i.external_id IS NOT NULL OR r.external_id IS NOT NULL)
        AS change_failed
FROM recent AS d
LEFT JOIN caused AS i ON i.source = d.source AND i.dep = d.external_id
LEFT JOIN repairs AS r ON r.source = d.source AND r.dep = d.external_id
ORDER BY d.shown_at DESC, d.external_id
