-- The newest snapshot time of a source; ?1 source_id.
SELECT max(ts_ms) FROM snapshot WHERE source_id = ?1;
