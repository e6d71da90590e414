-- A component's held bytes in a baseline; ?1 baseline_id, ?2 component_id, ?3 allocated_bytes.
INSERT INTO baseline_component (baseline_id, component_id, allocated_bytes) VALUES (?1, ?2, ?3);
