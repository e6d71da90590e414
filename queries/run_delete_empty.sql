-- Deletes a run no baseline refers to; ?1 run id. The recorder calls it only
-- for a run it wrote nothing in (no snapshot, component sample or baseline).
DELETE FROM run WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM baseline WHERE run_id = ?1);
