-- How much of a period the service-level samples cover: hours with a sample ÷ hours in the
-- period, over the services in scope that have ever been measured in this environment (a
-- service nothing measures is the coverage report's business, not a gap in the period).
-- The caller caps $range_end at the newest sample's end in scope (``newest``, from a first
-- pass with an open end), so a period that is still running counts the hours up to the data's
-- freshness, which the frame's freshness stamp reports separately.
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
