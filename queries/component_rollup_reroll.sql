-- Recomputes the rollup buckets of size ?5 ms of component ?1 whose start lies
-- in [?2, ?3) from its finer rollups of size ?4 ms.
-- total(), not sum(): a REAL sum never overflows (sum() of 8,192 samples of
-- 1 PiB does); sum_bytes is read as a REAL, for the bucket mean.
WITH bucket AS (
    SELECT component_id, (bucket_start_ms / ?5) * ?5 AS start_ms,
           min(min_bytes) AS mn, max(max_bytes) AS mx, total(sum_bytes) AS sm,
           sum(sample_count) AS n, min(first_ts_ms) AS first_ts, max(last_ts_ms) AS last_ts
    FROM component_rollup
    WHERE component_id = ?1 AND bucket_ms = ?4 AND bucket_start_ms >= ?2 AND bucket_start_ms < ?3
    GROUP BY (bucket_start_ms / ?5)
)
INSERT INTO component_rollup (component_id, bucket_ms, bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes,
                              sum_bytes, sample_count, first_ts_ms, last_ts_ms, last_allocations, last_deallocations)
SELECT b.component_id, ?5, b.start_ms, r.run_id, b.mn, b.mx, r.last_bytes, b.sm, b.n, b.first_ts, b.last_ts,
       r.last_allocations, r.last_deallocations
FROM bucket AS b JOIN component_rollup AS r
    ON r.component_id = b.component_id AND r.bucket_ms = ?4 AND r.last_ts_ms = b.last_ts
    AND r.bucket_start_ms >= b.start_ms AND r.bucket_start_ms < b.start_ms + ?5
WHERE true
ON CONFLICT (component_id, bucket_ms, bucket_start_ms) DO UPDATE SET
    run_id = excluded.run_id, min_bytes = excluded.min_bytes, max_bytes = excluded.max_bytes,
    last_bytes = excluded.last_bytes, sum_bytes = excluded.sum_bytes, sample_count = excluded.sample_count,
    first_ts_ms = excluded.first_ts_ms, last_ts_ms = excluded.last_ts_ms,
    last_allocations = excluded.last_allocations, last_deallocations = excluded.last_deallocations;
