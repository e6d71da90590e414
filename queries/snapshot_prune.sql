-- Deletes the raw snapshots of source ?1 older than ?2 ms.
DELETE FROM snapshot WHERE source_id = ?1 AND ts_ms < ?2;
