-- Benchmark baseline only: per-component first, last, min, max, count and the
-- least-squares sums of the samples in [?1, ?2] ms, in one range scan per component.
SELECT c.id, count(*), min(s.allocated_bytes), max(s.allocated_bytes),
       min(s.ts_ms), max(s.ts_ms),
       sum(s.ts_ms - ?1), sum(s.allocated_bytes), sum((s.ts_ms - ?1) * (s.ts_ms - ?1)),
       sum((s.ts_ms - ?1) * s.allocated_bytes)
FROM component AS c JOIN component_sample AS s ON s.component_id = c.id
WHERE s.ts_ms BETWEEN ?1 AND ?2
GROUP BY c.id;
