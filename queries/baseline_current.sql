-- The baseline in force for a source (newest, not cleared); ?1 source_id.
SELECT id, run_id, ts_ms, usage_bytes FROM baseline
WHERE source_id = ?1 AND cleared_ms IS NULL
ORDER BY id DESC LIMIT 1;
