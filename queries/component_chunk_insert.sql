-- Seals samples of component ?1 into a chunk: ?2 start_ms, ?3 end_ms, ?4 run_id,
-- ?5 sample_count, ?6 min, ?7 max, ?8 first, ?9 last bytes, ?10 sum (REAL),
-- ?11 last_allocations, ?12 last_deallocations (NULL for gauges), ?13 the encoded samples,
-- ?14 their five-minute slot summaries (NULL: none).
INSERT INTO component_chunk (component_id, start_ms, end_ms, run_id, sample_count, min_bytes, max_bytes, first_bytes,
                             last_bytes, sum_bytes, last_allocations, last_deallocations, data, slots)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14);
