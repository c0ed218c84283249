-- Fever-clinic visits (sqlite). Keep in step with postgres/0010_fever.sql.
--
-- One row per visit of a person to a fever clinic (a facility), unique by clinic, person and
-- visit time, so a re-imported list adds nothing. `community_code` is the clinic's
-- community, copied on insert: the jurisdiction filter of every read. The result is the
-- linked tube's latest result in `tube_results` when there is one (joined by `tube_code` at
-- read time: the tube may be collected and ingested after the visit is recorded), else the
-- result recorded here directly.
CREATE TABLE fever_visits (
    id                INTEGER PRIMARY KEY,
    clinic_id         INTEGER NOT NULL REFERENCES facilities(id),
    community_code    TEXT NOT NULL REFERENCES jurisdictions(code),
    person_id         INTEGER NOT NULL REFERENCES persons(id),
    visit_at          INTEGER NOT NULL,
    -- Degrees Celsius.
    temperature       REAL NOT NULL CHECK (temperature >= 34 AND temperature <= 43),
    -- Symptom keys, comma-separated, in the order of the fixed list.
    symptoms          TEXT NOT NULL DEFAULT '',
    epi_history       INTEGER NOT NULL DEFAULT 0,
    tube_code         TEXT,
    result_outcome    TEXT CHECK (result_outcome IN ('negative','positive','inconclusive')),
    result_at         INTEGER,
    result_lab        TEXT,
    result_by         TEXT,
    disposition       TEXT CHECK (disposition IN ('discharged_home','home_monitoring',
                          'home_quarantine','admitted','transferred_designated_hospital')),
    disposition_at    INTEGER,
    disposition_by    TEXT,
    recorded_at       INTEGER NOT NULL,
    recorded_by       TEXT NOT NULL,
    UNIQUE (clinic_id, person_id, visit_at),
    CHECK ((result_outcome IS NULL) = (result_at IS NULL)),
    CHECK ((disposition IS NULL) = (disposition_at IS NULL)),
    CHECK (disposition_at IS NULL OR disposition_at >= visit_at)
);
CREATE INDEX fever_visits_community ON fever_visits(community_code, visit_at);
CREATE INDEX fever_visits_tube ON fever_visits(tube_code) WHERE tube_code IS NOT NULL;
-- The open-loop list reads only visits without a disposition or with a positive result.
CREATE INDEX fever_visits_open ON fever_visits(visit_at) WHERE disposition IS NULL;
