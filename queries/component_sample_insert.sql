-- Records a component's cumulative counters; ?1 component_id, ?2 ts_ms,
-- ?3 run_id, ?4 allocated_bytes, ?5 allocations, ?6 deallocations (NULL for gauges),
-- ?7 events: how many counted events the sample sums up at ts_ms (NULL from a recorder).
INSERT INTO component_sample (component_id, ts_ms, run_id, allocated_bytes, allocations, deallocations, events)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (component_id, ts_ms) DO UPDATE SET
    run_id = excluded.run_id,
    allocated_bytes = excluded.allocated_bytes,
    allocations = excluded.allocations,
    deallocations = excluded.deallocations,
    events = excluded.events;
