-- A component's newest sample of a run; ?1 component_id, ?2 run_id.
SELECT ts_ms, allocated_bytes, allocations, deallocations FROM component_sample
WHERE component_id = ?1 AND run_id = ?2
ORDER BY ts_ms DESC LIMIT 1;
