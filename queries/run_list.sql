-- The runs of a source in start order; ?1 source_id.
SELECT id, started_ms, ended_ms, pid, command, version FROM run WHERE source_id = ?1 ORDER BY started_ms, id;
