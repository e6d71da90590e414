-- A component's sample at one millisecond; ?1 component_id, ?2 ts_ms.
SELECT run_id, allocated_bytes, allocations, deallocations, events FROM component_sample
WHERE component_id = ?1 AND ts_ms = ?2;
