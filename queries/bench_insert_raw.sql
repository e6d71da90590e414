-- Benchmark baseline only: one row into bench_raw_sample.
INSERT INTO bench_raw_sample (component_id, ts_ms, allocated_bytes) VALUES (?1, ?2, ?3);
