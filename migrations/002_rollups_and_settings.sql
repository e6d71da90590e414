-- Schema version 2: rollups for long windows, and settings shared by every
-- writer of the file (the retention policy).

-- Per-bucket aggregates of the snapshot series. bucket_ms is the bucket size
-- (60000: minute, 3600000: hour); run_id, last_bytes are the bucket's newest sample's.
CREATE TABLE snapshot_rollup (
    source_id       INTEGER NOT NULL,
    bucket_ms       INTEGER NOT NULL,
    bucket_start_ms INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    min_bytes       INTEGER NOT NULL,
    max_bytes       INTEGER NOT NULL,
    last_bytes      INTEGER NOT NULL,
    sum_bytes       INTEGER NOT NULL,
    sample_count    INTEGER NOT NULL,
    first_ts_ms     INTEGER NOT NULL,
    last_ts_ms      INTEGER NOT NULL,
    PRIMARY KEY (source_id, bucket_ms, bucket_start_ms)
) WITHOUT ROWID;

-- Per-bucket aggregates of each component series; the counts are the
-- newest sample's (cumulative within its run), NULL for gauges.
CREATE TABLE component_rollup (
    component_id    INTEGER NOT NULL,
    bucket_ms       INTEGER NOT NULL,
    bucket_start_ms INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    min_bytes       INTEGER NOT NULL,
    max_bytes       INTEGER NOT NULL,
    last_bytes      INTEGER NOT NULL,
    sum_bytes       INTEGER NOT NULL,
    sample_count    INTEGER NOT NULL,
    first_ts_ms     INTEGER NOT NULL,
    last_ts_ms      INTEGER NOT NULL,
    last_allocations   INTEGER,
    last_deallocations INTEGER,
    PRIMARY KEY (component_id, bucket_ms, bucket_start_ms)
) WITHOUT ROWID;

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
