-- Schema 6: whether a component overlaps others. A gauge such as a process's
-- PSS (which overlaps its RSS parts) or a cgroup's shmem (inside its file
-- pages) is history to look at, not a share of the growth: window reports
-- leave such components out of candidates and growth shares. The flag is set
-- by whoever records the component (the watcher for its own parts); before
-- schema 6 reports recognised the watcher's two overlapping parts by name,
-- so files written then keep that meaning through the data step below.
ALTER TABLE component ADD COLUMN overlaps INTEGER NOT NULL DEFAULT 0 CHECK (overlaps IN (0, 1));
UPDATE component SET overlaps = 1 WHERE kind = 1 AND name IN ('pss', 'shmem');
