-- A setting's value; ?1 key.
SELECT value FROM setting WHERE key = ?1;
