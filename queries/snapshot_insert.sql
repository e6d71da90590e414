-- Records total usage; ?1 source_id, ?2 ts_ms, ?3 run_id, ?4 usage_bytes.
INSERT INTO snapshot (source_id, ts_ms, run_id, usage_bytes) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (source_id, ts_ms) DO UPDATE SET run_id = excluded.run_id, usage_bytes = excluded.usage_bytes;
