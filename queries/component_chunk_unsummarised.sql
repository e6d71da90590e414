-- Up to ?2 chunks of component samples after chunk id ?1 that have no five-minute
-- summary, by id: what the data step of schema 7 summarises.
SELECT id, start_ms, sample_count, data FROM component_chunk
WHERE id > ?1 AND slots IS NULL
ORDER BY id LIMIT ?2;
