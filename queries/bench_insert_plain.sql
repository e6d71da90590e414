-- Benchmark baseline only: one component sample into bench_plain_sample; ?1 source,
-- ?2 component, ?3 kind, ?4 run_id, ?5 ts_ms, ?6 allocated_bytes, ?7 allocations, ?8 deallocations.
INSERT INTO bench_plain_sample VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', ?5 / 1000.0, 'unixepoch'), ?6, ?7, ?8);
