-- Deletes a source that holds nothing: no run, snapshot, component or baseline; ?1 source_id.
DELETE FROM source WHERE id = ?1
    AND NOT EXISTS (SELECT 1 FROM run WHERE source_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM snapshot WHERE source_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM component WHERE source_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM baseline WHERE source_id = ?1);
