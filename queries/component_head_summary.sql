-- Component ?1's unsealed sample rows in [?2, ?3] ms summed up: how many, their
-- total, least and most bytes, first and last times (no row: a count of 0).
SELECT count(*), total(allocated_bytes), min(allocated_bytes), max(allocated_bytes), min(ts_ms), max(ts_ms) FROM component_sample
WHERE component_id = ?1 AND ts_ms BETWEEN ?2 AND ?3;
