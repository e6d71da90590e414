-- Stores ?2 as the five-minute summary of component chunk ?1.
UPDATE component_chunk SET slots = ?2 WHERE id = ?1;
