-- Deletes the rollups of size ?2 of component ?1 starting at or after ?3 ms (derived data the data step rebuilds).
DELETE FROM component_rollup WHERE component_id = ?1 AND bucket_ms = ?2 AND bucket_start_ms >= ?3;
