-- Schema version 4: raw samples sealed into compact per-series chunks.
--
-- snapshot and component_sample keep only each series' head: its newest
-- clock hour, as rows. When a newer hour begins, the hours before it are
-- sealed into chunks (SampleChunkCodec: delta-of-delta times, Rice-coded
-- value deltas, a checksum), each holding one series' samples of one run
-- within one clock hour (at most 8,192), with its summary, so long windows
-- and rollups need not decode it. A write into a sealed hour re-encodes that
-- hour's chunks. The data step that seals what older files hold runs in Swift
-- (HistoryStore.sealAllHeads) once, recorded by setting 'storage.chunks'.

-- A source's usage snapshots, sealed. Rowid tables: a chunk is a few hundred
-- bytes, too large for WITHOUT ROWID's interior pages.
CREATE TABLE snapshot_chunk (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    sample_count INTEGER NOT NULL CHECK (sample_count >= 1),
    min_bytes    INTEGER NOT NULL,
    max_bytes    INTEGER NOT NULL,
    first_bytes  INTEGER NOT NULL,
    last_bytes   INTEGER NOT NULL,
    -- REAL: the sum of a chunk's samples may exceed Int64.
    sum_bytes    REAL    NOT NULL,
    data         BLOB    NOT NULL
);
CREATE UNIQUE INDEX snapshot_chunk_by_time ON snapshot_chunk(source_id, start_ms);

-- A component's samples, sealed; the counts are the newest sample's (NULL for gauges).
CREATE TABLE component_chunk (
    id                 INTEGER PRIMARY KEY,
    component_id       INTEGER NOT NULL,
    start_ms           INTEGER NOT NULL,
    end_ms             INTEGER NOT NULL,
    run_id             INTEGER NOT NULL,
    sample_count       INTEGER NOT NULL CHECK (sample_count >= 1),
    min_bytes          INTEGER NOT NULL,
    max_bytes          INTEGER NOT NULL,
    first_bytes        INTEGER NOT NULL,
    last_bytes         INTEGER NOT NULL,
    sum_bytes          REAL    NOT NULL,
    last_allocations   INTEGER,
    last_deallocations INTEGER,
    data               BLOB    NOT NULL
);
CREATE UNIQUE INDEX component_chunk_by_time ON component_chunk(component_id, start_ms);

-- Deleting a source deletes its chunks too.
DROP TRIGGER source_delete_history;
CREATE TRIGGER source_delete_history BEFORE DELETE ON source
BEGIN
    DELETE FROM baseline_component WHERE baseline_id IN (SELECT id FROM baseline WHERE source_id = OLD.id);
    DELETE FROM baseline WHERE source_id = OLD.id;
    DELETE FROM component_rollup WHERE component_id IN (SELECT id FROM component WHERE source_id = OLD.id);
    DELETE FROM component_chunk WHERE component_id IN (SELECT id FROM component WHERE source_id = OLD.id);
    DELETE FROM component_sample WHERE component_id IN (SELECT id FROM component WHERE source_id = OLD.id);
    DELETE FROM component WHERE source_id = OLD.id;
    DELETE FROM snapshot_rollup WHERE source_id = OLD.id;
    DELETE FROM snapshot_chunk WHERE source_id = OLD.id;
    DELETE FROM snapshot WHERE source_id = OLD.id;
    DELETE FROM run WHERE source_id = OLD.id;
END;
