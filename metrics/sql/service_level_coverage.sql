-- How much of a period the service-level samples cover: hours with a sample ÷ hours in the
-- period, over the services in scope that have ever been measured in this environment (a
-- service nothing measures is the coverage report's business, not a gap in the period).
-- $range_end is the period's end, capped at the current hour by the caller; ``newest`` (the
-- end of the newest sample in range) lets it end the period's hours there too, so a period
-- still running counts up to the data's freshness, which the freshness stamp reports.
WITH measured AS (
    SELECT DISTINCT x.service_id
    FROM service_level_daily AS x
    JOIN services AS s USING (service_id)
    WHERE x.environment = $environment
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
)
SELECT
    (SELECT count(*) FROM measured) AS services,
    coalesce(sum(least(x.bucket_seconds, 3600)), 0) / 3600.0 AS hours_with_data,
    max(x.bucket_start + to_seconds(x.bucket_seconds)) AS newest
FROM service_level_samples AS x
WHERE x.service_id IN (SELECT service_id FROM measured)
  AND x.environment = $environment
  AND x.bucket_start >= $range_start AND x.bucket_start < $range_end
