-- The start of the newest rollup bucket of size ?2 of source ?1 (NULL if none).
SELECT max(bucket_start_ms) FROM snapshot_rollup WHERE source_id = ?1 AND bucket_ms = ?2;
