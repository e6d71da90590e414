-- The oldest sample time of component ?1 (NULL if none).
SELECT min(ts_ms) FROM component_sample WHERE component_id = ?1;
