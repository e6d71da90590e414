-- Recomputes the snapshot rollup buckets of size ?4 ms of source ?1 whose
-- start lies in [?2, ?3), from the raw snapshots.
-- total(), not sum(): a REAL sum never overflows (sum() of 8,192 samples of
-- 1 PiB does); sum_bytes is read as a REAL, for the bucket mean.
WITH bucket AS (
    SELECT source_id, (ts_ms / ?4) * ?4 AS start_ms,
           min(usage_bytes) AS mn, max(usage_bytes) AS mx, total(usage_bytes) AS sm,
           count(*) AS n, min(ts_ms) AS first_ts, max(ts_ms) AS last_ts
    FROM snapshot
    WHERE source_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3
    GROUP BY (ts_ms / ?4)
)
INSERT INTO snapshot_rollup (source_id, bucket_ms, bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes,
                             sum_bytes, sample_count, first_ts_ms, last_ts_ms)
SELECT b.source_id, ?4, b.start_ms, s.run_id, b.mn, b.mx, s.usage_bytes, b.sm, b.n, b.first_ts, b.last_ts
FROM bucket AS b JOIN snapshot AS s ON s.source_id = b.source_id AND s.ts_ms = b.last_ts
WHERE true
ON CONFLICT (source_id, bucket_ms, bucket_start_ms) DO UPDATE SET
    run_id = excluded.run_id, min_bytes = excluded.min_bytes, max_bytes = excluded.max_bytes,
    last_bytes = excluded.last_bytes, sum_bytes = excluded.sum_bytes, sample_count = excluded.sample_count,
    first_ts_ms = excluded.first_ts_ms, last_ts_ms = excluded.last_ts_ms;
