-- The unsealed sample rows of every component of source ?1 in [?2, ?3] ms,
-- by component and oldest first: component_head_range.sql for all of them in one statement.
SELECT component_id, ts_ms, run_id, allocated_bytes, allocations, deallocations, events FROM component_sample
WHERE component_id IN (SELECT id FROM component WHERE source_id = ?1) AND ts_ms BETWEEN ?2 AND ?3
ORDER BY component_id, ts_ms;
