-- Component samples in [?2, ?3] ms for source ?1 (every source when NULL) and
-- component ?4 (every component when NULL), in CSV column order.
SELECT src.name, c.name, CASE c.kind WHEN 1 THEN 'gauge' ELSE 'counted' END, cs.run_id, cs.ts_ms,
       strftime('%Y-%m-%dT%H:%M:%fZ', cs.ts_ms / 1000.0, 'unixepoch'), cs.allocated_bytes, cs.allocations, cs.deallocations
FROM component AS c
JOIN source AS src ON src.id = c.source_id
JOIN component_sample AS cs ON cs.component_id = c.id
WHERE (?1 IS NULL OR src.name = ?1) AND (?4 IS NULL OR c.name = ?4) AND cs.ts_ms BETWEEN ?2 AND ?3
ORDER BY src.name, c.name, cs.ts_ms;
