-- Deletes the chunks of component ?1 starting in [?2, ?3) ms (re-encoded by the caller).
DELETE FROM component_chunk WHERE component_id = ?1 AND start_ms >= ?2 AND start_ms < ?3;
