-- Rollup buckets of size ?2 of component ?1 starting in [?3, ?4], oldest first.
SELECT bucket_start_ms, run_id, min_bytes, max_bytes, last_bytes, sum_bytes, sample_count, first_ts_ms, last_ts_ms,
       last_allocations, last_deallocations
FROM component_rollup
WHERE component_id = ?1 AND bucket_ms = ?2 AND bucket_start_ms BETWEEN ?3 AND ?4
ORDER BY bucket_start_ms;
