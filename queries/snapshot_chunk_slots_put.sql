-- Stores ?2 as the five-minute summary of snapshot chunk ?1.
UPDATE snapshot_chunk SET slots = ?2 WHERE id = ?1;
