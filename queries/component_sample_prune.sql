-- Deletes the raw samples of component ?1 older than ?2 ms.
DELETE FROM component_sample WHERE component_id = ?1 AND ts_ms < ?2;
