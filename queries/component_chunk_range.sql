-- The chunks of component ?1 holding samples in [?3, ?4] ms, oldest first,
-- with the bases and the five-minute summaries of their samples; ?2 is
-- the start of ?3's clock hour (a chunk lies within one hour, so none starts before it).
SELECT start_ms, end_ms, run_id, sample_count, data, first_bytes, slots FROM component_chunk
WHERE component_id = ?1 AND start_ms >= ?2 AND start_ms <= ?4 AND end_ms >= ?3
ORDER BY start_ms;
