-- The component values of a baseline; ?1 baseline_id.
SELECT c.name, bc.allocated_bytes FROM baseline_component AS bc
JOIN component AS c ON c.id = bc.component_id
WHERE bc.baseline_id = ?1
ORDER BY c.name;
