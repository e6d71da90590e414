-- The newest snapshot of source ?1 at or before ?2 ms.
SELECT ts_ms, run_id, usage_bytes FROM snapshot WHERE source_id = ?1 AND ts_ms <= ?2 ORDER BY ts_ms DESC LIMIT 1;
