-- Starts a run; ?1 source_id, ?2 started_ms, ?3 pid, ?4 command, ?5 version.
INSERT INTO run (source_id, started_ms, pid, command, version) VALUES (?1, ?2, ?3, ?4, ?5);
