-- Deletes the unsealed snapshot rows of source ?1 older than ?2 ms (pruned, or sealed into chunks).
DELETE FROM snapshot WHERE source_id = ?1 AND ts_ms < ?2;
