-- Adds the samples summed up in ?4…?13 to rollup bucket ?3 (start ms) of size ?2
-- of component ?1: ?4 run_id, ?5 min, ?6 max, ?7 last bytes, ?8 sum (REAL),
-- ?9 count, ?10 first and ?11 last ts_ms, ?12 last_allocations, ?13 last_deallocations.
-- The newer of the two lasts stays the bucket's last.
INSERT INTO component_rollup (component_id, bucket_ms, bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes,
                              sum_bytes, sample_count, first_ts_ms, last_ts_ms, last_allocations, last_deallocations)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (component_id, bucket_ms, bucket_start_ms) DO UPDATE SET
    min_bytes = min(min_bytes, excluded.min_bytes), max_bytes = max(max_bytes, excluded.max_bytes),
    sum_bytes = sum_bytes + excluded.sum_bytes, sample_count = sample_count + excluded.sample_count,
    first_ts_ms = min(first_ts_ms, excluded.first_ts_ms),
    run_id = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.run_id ELSE run_id END,
    last_bytes = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.last_bytes ELSE last_bytes END,
    last_allocations = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.last_allocations ELSE last_allocations END,
    last_deallocations = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.last_deallocations ELSE last_deallocations END,
    last_ts_ms = max(last_ts_ms, excluded.last_ts_ms);
