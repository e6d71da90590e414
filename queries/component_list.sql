-- The components of a source; ?1 source_id.
SELECT id, name, kind, overlaps FROM component WHERE source_id = ?1 ORDER BY name;
