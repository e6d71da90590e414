-- Source ?1's unsealed snapshot rows in [?2, ?3] ms summed up: how many, their
-- total, least and most bytes, first and last times (no row: a count of 0).
SELECT count(*), total(usage_bytes), min(usage_bytes), max(usage_bytes), min(ts_ms), max(ts_ms) FROM snapshot
WHERE source_id = ?1 AND ts_ms BETWEEN ?2 AND ?3;
