-- Whether a baseline of a source was set at one millisecond; ?1 source_id, ?2 ts_ms.
SELECT id FROM baseline WHERE source_id = ?1 AND ts_ms = ?2 LIMIT 1;
