-- Lead time for changes, hours: from a change's first commit to the finish of the successful
-- deployment to the environment that shipped it, for changes shipped in the bucket (median and
-- P90), and from merge to that deployment (median) as a second view.
SELECT
    utc_bucket($bucket_width, d.finished_at, $origin) AS bucket,
    median(hours_between(c.first_commit_at, d.finished_at)) AS lead_time,
    quantile_cont(hours_between(c.first_commit_at, d.finished_at), 0.9) AS lead_time_p90,
    median(hours_between(c.merged_at, d.finished_at)) AS merge_to_deploy,
    count(*)::DOUBLE AS n,
    count(c.merged_at)::DOUBLE AS n_merged
FROM changes AS c
JOIN deployments AS d
    ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id
JOIN services AS s ON s.service_id = d.service_id
WHERE d.finished_at >= $range_start AND d.finished_at < $range_end
  AND d.environment = $environment
  AND d.status = 'success'
  AND c.first_commit_at IS NOT NULL
  AND ($team IS NULL OR s.team_id = $team)
  AND ($service IS NULL OR s.service_id = $service)
GROUP BY ALL
