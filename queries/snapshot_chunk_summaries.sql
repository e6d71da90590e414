-- The summaries of source ?1's snapshot chunks starting in [?2, ?3) ms, oldest
-- first (a snapshot has no counts: NULL, NULL).
SELECT start_ms, end_ms, run_id, sample_count, min_bytes, max_bytes, last_bytes, sum_bytes, NULL, NULL
FROM snapshot_chunk
WHERE source_id = ?1 AND start_ms >= ?2 AND start_ms < ?3
ORDER BY start_ms;
