-- Records a component's cumulative counters; ?1 component_id, ?2 ts_ms,
-- ?3 run_id, ?4 allocated_bytes, ?5 allocations, ?6 deallocations (NULL for gauges).
INSERT INTO component_sample (component_id, ts_ms, run_id, allocated_bytes, allocations, deallocations)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (component_id, ts_ms) DO UPDATE SET
    run_id = excluded.run_id,
    allocated_bytes = excluded.allocated_bytes,
    allocations = excluded.allocations,
    deallocations = excluded.deallocations;
