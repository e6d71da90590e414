-- One component's samples in [?2, ?3] ms, oldest first; ?1 component_id.
SELECT ts_ms, run_id, allocated_bytes, allocations, deallocations FROM component_sample
WHERE component_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms;
