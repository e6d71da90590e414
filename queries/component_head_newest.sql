-- Component ?1's newest unsealed sample row in [?2, ?3] ms.
SELECT ts_ms, run_id, allocated_bytes, allocations, deallocations FROM component_sample
WHERE component_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
ORDER BY ts_ms DESC LIMIT 1;
