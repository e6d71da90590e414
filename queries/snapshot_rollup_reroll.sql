-- Recomputes the snapshot rollup buckets of size ?5 ms of source ?1 whose start
-- lies in [?2, ?3) from the finer rollups of size ?4 ms.
-- total(), not sum(): a REAL sum never overflows (sum() of 8,192 samples of
-- 1 PiB does); sum_bytes is read as a REAL, for the bucket mean.
WITH bucket AS (
    SELECT source_id, (bucket_start_ms / ?5) * ?5 AS start_ms,
           min(min_bytes) AS mn, max(max_bytes) AS mx, total(sum_bytes) AS sm,
           sum(sample_count) AS n, min(first_ts_ms) AS first_ts, max(last_ts_ms) AS last_ts
    FROM snapshot_rollup
    WHERE source_id = ?1 AND bucket_ms = ?4 AND bucket_start_ms >= ?2 AND bucket_start_ms < ?3
    GROUP BY (bucket_start_ms / ?5)
)
INSERT INTO snapshot_rollup (source_id, bucket_ms, bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes,
                             sum_bytes, sample_count, first_ts_ms, last_ts_ms)
SELECT b.source_id, ?5, b.start_ms, r.run_id, b.mn, b.mx, r.last_bytes, b.sm, b.n, b.first_ts, b.last_ts
FROM bucket AS b JOIN snapshot_rollup AS r
    ON r.source_id = b.source_id AND r.bucket_ms = ?4 AND r.last_ts_ms = b.last_ts
    AND r.bucket_start_ms >= b.start_ms AND r.bucket_start_ms < b.start_ms + ?5
WHERE true
ON CONFLICT (source_id, bucket_ms, bucket_start_ms) DO UPDATE SET
    run_id = excluded.run_id, min_bytes = excluded.min_bytes, max_bytes = excluded.max_bytes,
    last_bytes = excluded.last_bytes, sum_bytes = excluded.sum_bytes, sample_count = excluded.sample_count,
    first_ts_ms = excluded.first_ts_ms, last_ts_ms = excluded.last_ts_ms;
