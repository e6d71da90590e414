-- The id of a source by name.
SELECT id FROM source WHERE name = ?1;
