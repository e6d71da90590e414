-- Deletes the unsealed sample rows of component ?1 older than ?2 ms (pruned, or sealed into chunks).
DELETE FROM component_sample WHERE component_id = ?1 AND ts_ms < ?2;
