-- The summaries of component ?1's chunks starting in [?2, ?3) ms, oldest first:
-- what its hour rollups are folded from, without decoding a chunk.
SELECT start_ms, end_ms, run_id, sample_count, min_bytes, max_bytes, last_bytes, sum_bytes, last_allocations, last_deallocations
FROM component_chunk
WHERE component_id = ?1 AND start_ms >= ?2 AND start_ms < ?3
ORDER BY start_ms;
