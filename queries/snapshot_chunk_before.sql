-- The newest snapshot chunk of source ?1 starting at or before ?2 ms, of run ?3 (any run when NULL).
SELECT start_ms, end_ms, run_id, sample_count, data FROM snapshot_chunk
WHERE source_id = ?1 AND start_ms <= ?2 AND (?3 IS NULL OR run_id = ?3)
ORDER BY start_ms DESC LIMIT 1;
