-- Benchmark baseline only: the plainest keyed sample table, for the raw
-- C-API insert loop the recorder's persistence is compared with.
CREATE TABLE IF NOT EXISTS bench_raw_sample (
    component_id    INTEGER NOT NULL,
    ts_ms           INTEGER NOT NULL,
    allocated_bytes INTEGER NOT NULL,
    PRIMARY KEY (component_id, ts_ms)
) WITHOUT ROWID;
