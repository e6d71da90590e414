-- Per run of a source: snapshot count, first and last ts_ms; ?1 source_id.
SELECT run_id, count(*), min(ts_ms), max(ts_ms) FROM snapshot WHERE source_id = ?1 GROUP BY run_id;
