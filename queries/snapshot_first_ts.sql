-- The oldest snapshot time of source ?1 (NULL if none).
SELECT min(ts_ms) FROM snapshot WHERE source_id = ?1;
