-- Deletes the snapshot rollups of size ?2 of source ?1 starting at or after ?3 ms (derived data the data step rebuilds).
DELETE FROM snapshot_rollup WHERE source_id = ?1 AND bucket_ms = ?2 AND bucket_start_ms >= ?3;
