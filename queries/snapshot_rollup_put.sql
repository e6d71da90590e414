-- Stores snapshot rollup bucket ?3 (start ms) of size ?2 of source ?1, replacing
-- it: ?4 run_id, ?5 min, ?6 max, ?7 last bytes, ?8 sum (REAL), ?9 count, ?10 first
-- and ?11 last ts_ms (a snapshot has no counts).
INSERT INTO snapshot_rollup (source_id, bucket_ms, bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes,
                             sum_bytes, sample_count, first_ts_ms, last_ts_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (source_id, bucket_ms, bucket_start_ms) DO UPDATE SET
    run_id = excluded.run_id, min_bytes = excluded.min_bytes, max_bytes = excluded.max_bytes,
    last_bytes = excluded.last_bytes, sum_bytes = excluded.sum_bytes, sample_count = excluded.sample_count,
    first_ts_ms = excluded.first_ts_ms, last_ts_ms = excluded.last_ts_ms;
