-- The snapshot of a source at one millisecond; ?1 source_id, ?2 ts_ms.
SELECT run_id, usage_bytes FROM snapshot WHERE source_id = ?1 AND ts_ms = ?2;
