-- Component ?1's oldest and newest head row and the end of its newest chunk (each NULL when none).
SELECT (SELECT min(ts_ms) FROM component_sample WHERE component_id = ?1),
       (SELECT max(ts_ms) FROM component_sample WHERE component_id = ?1),
       (SELECT end_ms FROM component_chunk WHERE component_id = ?1 ORDER BY start_ms DESC LIMIT 1),
       (SELECT min(start_ms) FROM component_chunk WHERE component_id = ?1);
