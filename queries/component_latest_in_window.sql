-- Each component of source ?1 with its newest unsealed row's bytes in [?2, ?3]
-- (NULL when it has none there: the caller looks in its chunks): one indexed probe per component.
SELECT c.id, c.name, c.kind,
       (SELECT s.allocated_bytes FROM component_sample AS s
        WHERE s.component_id = c.id AND s.ts_ms >= ?2 AND s.ts_ms <= ?3
        ORDER BY s.ts_ms DESC LIMIT 1)
FROM component AS c
WHERE c.source_id = ?1;
