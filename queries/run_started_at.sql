-- The run of a source that started at one millisecond, with its version; ?1 source_id, ?2 started_ms.
SELECT id, version FROM run WHERE source_id = ?1 AND started_ms = ?2 ORDER BY id DESC LIMIT 1;
