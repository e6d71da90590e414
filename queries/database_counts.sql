-- Row counts and page figures of the whole file, for status and metrics; samples
-- count head rows and the samples sealed in chunks.
SELECT (SELECT count(*) FROM source), (SELECT count(*) FROM run), (SELECT count(*) FROM component),
       (SELECT count(*) FROM snapshot) + (SELECT coalesce(sum(sample_count), 0) FROM snapshot_chunk),
       (SELECT count(*) FROM component_sample) + (SELECT coalesce(sum(sample_count), 0) FROM component_chunk),
       (SELECT count(*) FROM snapshot_rollup) + (SELECT count(*) FROM component_rollup);
