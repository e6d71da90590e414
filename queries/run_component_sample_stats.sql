-- Per run of a source: component sample count, first and last ts_ms, over chunks and head rows; ?1 source_id.
SELECT run_id, sum(n), min(first_ms), max(last_ms) FROM (
    SELECT s.run_id, count(*) AS n, min(s.ts_ms) AS first_ms, max(s.ts_ms) AS last_ms
    FROM component c JOIN component_sample s ON s.component_id = c.id WHERE c.source_id = ?1 GROUP BY s.run_id
    UNION ALL
    SELECT k.run_id, sum(k.sample_count), min(k.start_ms), max(k.end_ms)
    FROM component c JOIN component_chunk k ON k.component_id = c.id WHERE c.source_id = ?1 GROUP BY k.run_id
) GROUP BY run_id;
