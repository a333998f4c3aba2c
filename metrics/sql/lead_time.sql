-- Lead time for changes, hours: from a change's first commit to the finish of the successful
-- deployment to the environment that shipped it, for changes shipped in the bucket (median and
-- P90), and from merge to that deployment (median) as a second view.
-- Reads shipped_changes: the changes ⋈ deployments join, materialised by the writer.
SELECT
    utc_bucket($bucket_width, x.deployed_at, $origin) AS bucket,
    scope_key($scope_level, s.team_id, s.service_id) AS scope_id,
    median(x.lead_time_h) AS lead_time,
    quantile_cont(x.lead_time_h, 0.9) AS lead_time_p90,
    median(x.merge_to_deploy_h) AS merge_to_deploy,
    count(*)::DOUBLE AS n,
    count(x.merge_to_deploy_h)::DOUBLE AS n_merged
FROM shipped_changes AS x
JOIN services AS s ON s.service_id = x.service_id
WHERE x.deployed_at >= $range_start AND x.deployed_at < $range_end
  AND x.environment = $environment
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
