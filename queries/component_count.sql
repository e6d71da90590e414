-- How many components a source has; ?1 source_id.
SELECT count(*) FROM component WHERE source_id = ?1;
