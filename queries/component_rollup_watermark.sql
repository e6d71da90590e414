-- The start of the newest rollup bucket of size ?2 of component ?1 (NULL if none).
SELECT max(bucket_start_ms) FROM component_rollup WHERE component_id = ?1 AND bucket_ms = ?2;
