-- Creates a component; ?1 source_id, ?2 name, ?3 kind, ?4 overlaps (1 when it overlaps other components).
INSERT INTO component (source_id, name, kind, overlaps) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source_id, name) DO NOTHING;
