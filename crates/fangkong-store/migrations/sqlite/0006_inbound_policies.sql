-- Versions of the inbound control-measure policy (sqlite).
-- Keep in step with postgres/0006_inbound_policies.sql.
--
-- The file as loaded is kept whole (`source`), so a classification's version can always be
-- shown and re-read; a version label is loaded once (the same text again is a no-op).
CREATE TABLE inbound_policies (
    id             INTEGER PRIMARY KEY,
    version        TEXT NOT NULL UNIQUE,
    effective_from TEXT NOT NULL,
    source         TEXT NOT NULL,
    source_sha256  TEXT NOT NULL,
    rules          INTEGER NOT NULL,
    loaded_at      INTEGER NOT NULL,
    loaded_by      TEXT NOT NULL
);
