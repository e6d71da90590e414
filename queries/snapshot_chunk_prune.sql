-- Deletes the snapshot chunks of source ?1 whose every sample is older than ?2 ms;
-- returns their sample counts.
DELETE FROM snapshot_chunk WHERE source_id = ?1 AND end_ms < ?2 RETURNING sample_count;
