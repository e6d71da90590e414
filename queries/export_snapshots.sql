-- Snapshots in [?2, ?3] ms for source ?1 (every source when NULL), in CSV
-- column order, by source then time.
SELECT src.name, s.run_id, s.ts_ms, strftime('%Y-%m-%dT%H:%M:%fZ', s.ts_ms / 1000.0, 'unixepoch'), s.usage_bytes
FROM snapshot AS s JOIN source AS src ON src.id = s.source_id
WHERE (?1 IS NULL OR src.name = ?1) AND s.ts_ms BETWEEN ?2 AND ?3
ORDER BY src.name, s.ts_ms;
