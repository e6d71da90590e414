-- Creates a source; ?1 name, ?2 created_ms.
INSERT INTO source (name, created_ms) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING;
