-- Usage snapshots of a source in [?2, ?3] ms, oldest first; ?1 source_id.
SELECT ts_ms, run_id, usage_bytes FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms;
