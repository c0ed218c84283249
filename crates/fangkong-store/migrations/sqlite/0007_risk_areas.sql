-- Risk-area designations (sqlite). Keep in step with postgres/0007_risk_areas.sql.
--
-- One row per designation: a change of level lifts the old row and adds a new one, so the
-- rows of a code are its history. The code may be of any level and may lie outside this
-- city's tree (national and provincial lists name areas anywhere), so it has no foreign key.
CREATE TABLE risk_areas (
    id                INTEGER PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL,
    name              TEXT NOT NULL,
    level             TEXT NOT NULL
                      CHECK (level IN ('high','medium','low','sealed','controlled','precaution')),
    designated_at     INTEGER NOT NULL,
    designated_by     TEXT NOT NULL,
    -- The lifting rule: lifted after this many consecutive days without a new case.
    lift_after_days   INTEGER,
    lifted_at         INTEGER,
    lift_reason       TEXT,
    CHECK (lifted_at IS NULL OR lifted_at >= designated_at)
);
CREATE INDEX risk_areas_code ON risk_areas(jurisdiction_code, designated_at);
-- At most one designation of a code is in force.
CREATE UNIQUE INDEX risk_areas_active ON risk_areas(jurisdiction_code) WHERE lifted_at IS NULL;
