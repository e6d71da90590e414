-- Schema version 4: deploy-aware history. A run carries the version of the
-- program it ran (NULL when none was given) and a few free labels (host,
-- commit …), so runs and versions can be compared.

ALTER TABLE run ADD COLUMN version TEXT;

CREATE INDEX run_by_version ON run(source_id, version, started_ms);

-- Free key=value labels of a run; deleting a run (or its source) deletes them.
CREATE TABLE run_label (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
