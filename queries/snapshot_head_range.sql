-- Source ?1's unsealed snapshot rows in [?2, ?3] ms, oldest first.
SELECT ts_ms, run_id, usage_bytes FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms;
