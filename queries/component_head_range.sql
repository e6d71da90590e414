-- Component ?1's unsealed sample rows in [?2, ?3] ms, oldest first.
SELECT ts_ms, run_id, allocated_bytes, allocations, deallocations, events FROM component_sample
WHERE component_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms;
