-- Per run of a source: snapshot count, first and last ts_ms, over chunks and head rows; ?1 source_id.
SELECT run_id, sum(n), min(first_ms), max(last_ms) FROM (
    SELECT run_id, count(*) AS n, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms FROM snapshot WHERE source_id = ?1 GROUP BY run_id
    UNION ALL
    SELECT run_id, sum(sample_count), min(start_ms), max(end_ms) FROM snapshot_chunk WHERE source_id = ?1 GROUP BY run_id
) GROUP BY run_id;
