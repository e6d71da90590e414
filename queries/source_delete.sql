-- Deletes a source; the source_delete_history trigger deletes its history. ?1 source_id.
DELETE FROM source WHERE id = ?1;
