-- Clears the baselines in force for a source; ?1 source_id, ?2 cleared_ms.
UPDATE baseline SET cleared_ms = ?2 WHERE source_id = ?1 AND cleared_ms IS NULL;
