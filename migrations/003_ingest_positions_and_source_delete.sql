-- Schema version 3: idempotent ingest, and deleting a source with its history.

-- How many counted events (allocations and deallocations) a component sample
-- sums up at its millisecond: the position of a replayed event in the series
-- is recognised by it, so ingesting the same file twice stores nothing new.
-- NULL for gauges and for samples written by a recorder.
ALTER TABLE component_sample ADD COLUMN events INTEGER;

-- Deleting a source deletes everything recorded for it, in an order the
-- foreign keys accept.
CREATE TRIGGER source_delete_history BEFORE DELETE ON source
BEGIN
    DELETE FROM baseline_component WHERE baseline_id IN (SELECT id FROM baseline WHERE source_id = OLD.id);
    DELETE FROM baseline WHERE source_id = OLD.id;
    DELETE FROM component_rollup WHERE component_id IN (SELECT id FROM component WHERE source_id = OLD.id);
    DELETE FROM component_sample WHERE component_id IN (SELECT id FROM component WHERE source_id = OLD.id);
    DELETE FROM component WHERE source_id = OLD.id;
    DELETE FROM snapshot_rollup WHERE source_id = OLD.id;
    DELETE FROM snapshot WHERE source_id = OLD.id;
    DELETE FROM run WHERE source_id = OLD.id;
END;
