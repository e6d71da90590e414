-- The newest run of source ?1.
SELECT id, started_ms, ended_ms, pid, command, version FROM run WHERE source_id = ?1 ORDER BY started_ms DESC, id DESC LIMIT 1;
