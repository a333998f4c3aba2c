-- Schema v3: SQL macros stored in the warehouse so every connection, read-only ones included,
-- computes quantiles from histograms the same way.

-- Non-cumulative latency bucket counts, in bound order, from the service_level_samples columns.
-- The last bound is +Inf.
CREATE MACRO latency_bounds_ms() AS
    [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 'inf'::DOUBLE];

-- Cumulative counts of a non-cumulative bucket list.
CREATE MACRO cumulative_counts(counts) AS
    list_transform(counts, lambda c, i: list_sum(counts[1:i]));

-- 1-based index of the bucket that holds rank q * total.
CREATE MACRO quantile_bucket(q, counts) AS
    list_position(
        list_transform(cumulative_counts(counts), lambda c: c >= q * list_sum(counts)), true);

-- The q-quantile of a histogram, interpolated linearly inside its bucket exactly like
-- Prometheus's histogram_quantile(): the first bucket starts at 0, a rank that falls in the
-- +Inf bucket returns the highest finite bound, an empty histogram returns NULL.
CREATE MACRO histogram_quantile(q, counts, bounds) AS (
    CASE
        WHEN counts IS NULL OR coalesce(list_sum(counts), 0) = 0 THEN NULL
        WHEN quantile_bucket(q, counts) = len(counts) THEN bounds[len(counts) - 1]
        ELSE
            (CASE WHEN quantile_bucket(q, counts) = 1 THEN 0.0
                  ELSE bounds[quantile_bucket(q, counts) - 1] END)
            + (bounds[quantile_bucket(q, counts)]
               - (CASE WHEN quantile_bucket(q, counts) = 1 THEN 0.0
                       ELSE bounds[quantile_bucket(q, counts) - 1] END))
            * (q * list_sum(counts)
               - (CASE WHEN quantile_bucket(q, counts) = 1 THEN 0
                       ELSE cumulative_counts(counts)[quantile_bucket(q, counts) - 1] END))
            / nullif(counts[quantile_bucket(q, counts)], 0)
    END
);
