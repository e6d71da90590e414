-- The labels of every run of a source, by run and key; ?1 source_id.
SELECT l.run_id, l.key, l.value FROM run_label l JOIN run r ON r.id = l.run_id WHERE r.source_id = ?1 ORDER BY l.run_id, l.key;
