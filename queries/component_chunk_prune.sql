-- Deletes the chunks of component ?1 whose every sample is older than ?2 ms;
-- returns their sample counts.
DELETE FROM component_chunk WHERE component_id = ?1 AND end_ms < ?2 RETURNING sample_count;
