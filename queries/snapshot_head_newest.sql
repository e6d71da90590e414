-- Source ?1's newest unsealed snapshot row in [?2, ?3] ms.
SELECT ts_ms, run_id, usage_bytes FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms DESC LIMIT 1;
