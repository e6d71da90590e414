-- Source ?1's unsealed snapshot rows in [?2, ?3] ms summed up in buckets of ?4 ms
-- (starts rounded toward −∞), oldest first: the bucket's start, how many rows,
-- their total, least and most bytes, first and last times.
SELECT ts_ms - ((ts_ms % ?4) + ?4) % ?4 AS bucket, count(*), total(usage_bytes), min(usage_bytes), max(usage_bytes),
       min(ts_ms), max(ts_ms)
FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
GROUP BY bucket ORDER BY bucket;
