-- Deletes the snapshot chunks of source ?1 starting in [?2, ?3) ms (re-encoded by the caller).
DELETE FROM snapshot_chunk WHERE source_id = ?1 AND start_ms >= ?2 AND start_ms < ?3;
