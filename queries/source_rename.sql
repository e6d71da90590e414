-- Renames a source; ?1 source_id, ?2 the new name.
UPDATE source SET name = ?2 WHERE id = ?1;
