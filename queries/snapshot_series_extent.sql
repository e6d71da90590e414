-- Source ?1's oldest and newest snapshot row, the end of its newest snapshot
-- chunk and the start of its oldest (each NULL when none).
SELECT (SELECT min(ts_ms) FROM snapshot WHERE source_id = ?1),
       (SELECT max(ts_ms) FROM snapshot WHERE source_id = ?1),
       (SELECT end_ms FROM snapshot_chunk WHERE source_id = ?1 ORDER BY start_ms DESC LIMIT 1),
       (SELECT min(start_ms) FROM snapshot_chunk WHERE source_id = ?1);
