-- Bulk operations (sqlite). Keep in step with postgres/0022_bulk_operations.sql.

-- One operation a user applied to many records at once (issue #13): its kind, the records'
-- count and its progress. Each record's change is written (and audited) by the capability's
-- own function, under the operation's id; this row is the progress view and the summary.
CREATE TABLE bulk_operations (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    total        INTEGER NOT NULL CHECK (total >= 1),
    done         INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','finished')),
    -- JSON array of [record id, reason] of the records refused.
    errors       TEXT NOT NULL DEFAULT '[]',
    finished_at  INTEGER,
    CHECK (done + failed <= total)
);
CREATE INDEX bulk_operations_creator ON bulk_operations(created_by, created_at);
