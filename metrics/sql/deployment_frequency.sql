-- Deployment frequency, successful deployments per service per week: successful deployments to
-- the environment ÷ deployable services ÷ weeks in the bucket. A service counts as deployable in
-- a bucket once its first deployment to the environment was recorded before the bucket ends, so
-- history before a source was connected reads "no data", not zero. Also: successful deployments
-- per day across the whole scope. With $scope_level 'team' or 'service', one row per bucket and
-- team (or service), each with its own deployable services.
-- Reads the writer's derived tables: service_first_deployments and deployment_outcomes (the
-- successful deployments).
WITH scope AS (
    SELECT
        s.service_id,
        scope_key($scope_level, s.team_id, s.service_id) AS scope_id,
        f.first_deployed
    FROM services AS s
    JOIN service_first_deployments AS f
        ON f.service_id = s.service_id AND f.environment = $environment
    WHERE f.first_deployed IS NOT NULL
      AND ($team IS NULL OR s.team_id = $team)
      AND ($service IS NULL OR s.service_id = $service)
),
buckets AS (
    SELECT
        b AS bucket,
        greatest(b, CAST($range_start AS TIMESTAMPTZ)) AS bucket_from,
        least(b + CAST($bucket_width AS INTERVAL), CAST($range_end AS TIMESTAMPTZ)) AS bucket_to
    FROM unnest(generate_series(
        CAST($origin AS TIMESTAMPTZ),
        CAST($range_end AS TIMESTAMPTZ) - INTERVAL 1 MICROSECOND,
        CAST($bucket_width AS INTERVAL))) AS t(b)
    WHERE b + CAST($bucket_width AS INTERVAL) > $range_start
),
services_per_bucket AS (
    SELECT buckets.bucket, scope.scope_id, count(scope.service_id) AS services
    FROM buckets JOIN scope ON scope.first_deployed < buckets.bucket_to
    GROUP BY ALL
),
counts AS (
    SELECT
        utc_bucket($bucket_width, d.finished_at, $origin) AS bucket,
        scope.scope_id,
        count(*) AS deployments
    FROM deployment_outcomes AS d
    JOIN scope USING (service_id)
    WHERE d.finished_at >= $range_start AND d.finished_at < $range_end
      AND d.environment = $environment
    GROUP BY ALL
)
SELECT
    buckets.bucket,
    services_per_bucket.scope_id,
    coalesce(counts.deployments, 0)::DOUBLE
        / services_per_bucket.services
        / ((epoch(buckets.bucket_to) - epoch(buckets.bucket_from)) / (7 * 86400.0)) AS deployment_frequency,
    coalesce(counts.deployments, 0)::DOUBLE
        / ((epoch(buckets.bucket_to) - epoch(buckets.bucket_from)) / 86400.0) AS deployments_per_day,
    coalesce(counts.deployments, 0)::DOUBLE AS n
FROM buckets
JOIN services_per_bucket USING (bucket)
LEFT JOIN counts
    ON counts.bucket = buckets.bucket
    AND counts.scope_id IS NOT DISTINCT FROM services_per_bucket.scope_id
