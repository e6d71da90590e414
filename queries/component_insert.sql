-- Creates a component; ?1 source_id, ?2 name, ?3 kind.
INSERT INTO component (source_id, name, kind) VALUES (?1, ?2, ?3) ON CONFLICT (source_id, name) DO NOTHING;
