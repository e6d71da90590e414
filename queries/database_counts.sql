-- Row counts and page figures of the whole file, for status and metrics.
SELECT (SELECT count(*) FROM source), (SELECT count(*) FROM run), (SELECT count(*) FROM component),
       (SELECT count(*) FROM snapshot), (SELECT count(*) FROM component_sample),
       (SELECT count(*) FROM snapshot_rollup) + (SELECT count(*) FROM component_rollup);
