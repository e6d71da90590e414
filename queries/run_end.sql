-- Ends a run; ?1 run id, ?2 ended_ms.
UPDATE run SET ended_ms = ?2 WHERE id = ?1 AND ended_ms IS NULL;
