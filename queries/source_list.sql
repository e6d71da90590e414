-- Every source, by name.
SELECT id, name, created_ms FROM source ORDER BY name;
