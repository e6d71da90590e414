-- Benchmark baseline only: the export's CSV rows as a plain table, for the
-- `sqlite3 -csv` dump the chunked export is compared with.
CREATE TABLE IF NOT EXISTS bench_plain_sample (
    source          TEXT    NOT NULL,
    component       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    run_id          INTEGER NOT NULL,
    ts_ms           INTEGER NOT NULL,
    ts              TEXT    NOT NULL,
    allocated_bytes INTEGER NOT NULL,
    allocations     INTEGER,
    deallocations   INTEGER
);
