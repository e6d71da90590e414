-- LeakHistory schema, version 1: sources, runs, components, the raw sample
-- series and baselines. Times are Unix milliseconds, sizes are bytes.

-- A monitored program.
CREATE TABLE source (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);

-- One lifetime of a source (one process start). Counters restart at zero in
-- a new run; ended_ms stays NULL until the run is closed cleanly.
CREATE TABLE run (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES source(id),
    started_ms INTEGER NOT NULL,
    ended_ms   INTEGER,
    pid        INTEGER,
    command    TEXT
);
CREATE INDEX run_by_source ON run(source_id, started_ms);

-- A named part of a source. kind 0: counted (allocations and deallocations
-- tracked); kind 1: gauge (sampled, no counts).
CREATE TABLE component (
    id        INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES source(id),
    name      TEXT    NOT NULL,
    kind      INTEGER NOT NULL DEFAULT 0 CHECK (kind IN (0, 1)),
    UNIQUE (source_id, name)
);

-- Total usage of a source. One value per source and millisecond: a later
-- write at the same millisecond supersedes the earlier one.
CREATE TABLE snapshot (
    source_id   INTEGER NOT NULL,
    ts_ms       INTEGER NOT NULL,
    run_id      INTEGER NOT NULL,
    usage_bytes INTEGER NOT NULL CHECK (usage_bytes >= 0),
    PRIMARY KEY (source_id, ts_ms)
) WITHOUT ROWID;

-- Cumulative per-run component counters (NULL counts for gauges), keyed for
-- range scans per component.
CREATE TABLE component_sample (
    component_id    INTEGER NOT NULL,
    ts_ms           INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    allocated_bytes INTEGER NOT NULL CHECK (allocated_bytes >= 0),
    allocations     INTEGER,
    deallocations   INTEGER,
    PRIMARY KEY (component_id, ts_ms)
) WITHOUT ROWID;

-- Every baseline ever set; the newest one not cleared is in force.
CREATE TABLE baseline (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES source(id),
    run_id      INTEGER,
    ts_ms       INTEGER NOT NULL,
    usage_bytes INTEGER NOT NULL CHECK (usage_bytes >= 0),
    cleared_ms  INTEGER
);
CREATE INDEX baseline_by_source ON baseline(source_id, id);

-- Each component's held bytes at the moment its baseline was set.
CREATE TABLE baseline_component (
    baseline_id     INTEGER NOT NULL REFERENCES baseline(id) ON DELETE CASCADE,
    component_id    INTEGER NOT NULL REFERENCES component(id),
    allocated_bytes INTEGER NOT NULL,
    PRIMARY KEY (baseline_id, component_id)
) WITHOUT ROWID;
