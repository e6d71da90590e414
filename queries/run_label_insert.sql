-- Sets one label of a run; ?1 run id, ?2 key, ?3 value.
INSERT INTO run_label (run_id, key, value) VALUES (?1, ?2, ?3);
