-- The chunks of every component of source ?1 holding samples in [?3, ?4]
-- ms, by component and oldest first: component_chunk_range.sql for all of
-- them in one statement; ?2 is the start of ?3's clock hour.
SELECT component_id, start_ms, end_ms, run_id, sample_count, data FROM component_chunk
WHERE component_id IN (SELECT id FROM component WHERE source_id = ?1)
  AND start_ms >= ?2 AND start_ms <= ?4 AND end_ms >= ?3
ORDER BY component_id, start_ms;
