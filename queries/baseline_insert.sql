-- Sets a new baseline; ?1 source_id, ?2 run_id, ?3 ts_ms, ?4 usage_bytes.
INSERT INTO baseline (source_id, run_id, ts_ms, usage_bytes) VALUES (?1, ?2, ?3, ?4);
