-- Per run of a source: component sample count, first and last ts_ms; ?1 source_id.
SELECT s.run_id, count(*), min(s.ts_ms), max(s.ts_ms)
FROM component c JOIN component_sample s ON s.component_id = c.id
WHERE c.source_id = ?1 GROUP BY s.run_id;
