-- How many snapshots source ?1 holds in [?3, ?4] ms, chunks (counted whole) and head rows;
-- ?2 is the start of ?3's clock hour. What a window's read would decode.
SELECT (SELECT coalesce(sum(sample_count), 0) FROM snapshot_chunk
        WHERE source_id = ?1 AND start_ms >= ?2 AND start_ms <= ?4 AND end_ms >= ?3)
     + (SELECT count(*) FROM snapshot WHERE source_id = ?1 AND ts_ms BETWEEN ?3 AND ?4);
