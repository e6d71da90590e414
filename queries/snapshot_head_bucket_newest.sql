-- The newest of source ?1's unsealed snapshot rows in [?2, ?3] ms in each bucket
-- of ?4 ms, oldest bucket first (the bare columns come from the row holding
-- max(ts_ms): SQLite's rule for a lone max() aggregate).
SELECT ts_ms - ((ts_ms % ?4) + ?4) % ?4 AS bucket, max(ts_ms), run_id, usage_bytes
FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
GROUP BY bucket ORDER BY bucket;
