-- A component of a source by name; ?1 source_id, ?2 name.
SELECT id, kind, overlaps FROM component WHERE source_id = ?1 AND name = ?2;
