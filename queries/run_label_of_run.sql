-- The labels of one run, by key; ?1 run id.
SELECT key, value FROM run_label WHERE run_id = ?1 ORDER BY key;
