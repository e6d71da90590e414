-- Schema 7: five-minute summaries beside each chunk (ChunkSlotsCodec), so a
-- window read in buckets of 5, 10, 15 or 30 minutes (two or three days of
-- 10-second samples, a day of second-by-second ones) takes a few numbers a
-- slot instead of decoding every sample. NULL where a chunk has none (its
-- figures do not fit, or it was sealed before schema 7): readers decode it.
-- The data step that summarises the chunks older files hold runs in Swift
-- (HistoryStore.summariseChunksOfOlderVersions) once, recorded by setting
-- 'storage.slots'.
ALTER TABLE snapshot_chunk ADD COLUMN slots BLOB;
ALTER TABLE component_chunk ADD COLUMN slots BLOB;
