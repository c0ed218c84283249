-- Travel entries, control measures, health checks and re-evaluation reviews (sqlite).
-- Keep in step with postgres/0008_measures.sql.

-- A designation may name a set of addresses or buildings inside its jurisdiction instead of
-- the whole jurisdiction: a JSON array of address strings. At most one whole-jurisdiction
-- designation of a code and one set of a given name are in force at a time.
ALTER TABLE risk_areas ADD COLUMN addresses TEXT;
DROP INDEX risk_areas_active;
CREATE UNIQUE INDEX risk_areas_active ON risk_areas(jurisdiction_code)
    WHERE lifted_at IS NULL AND addresses IS NULL;
CREATE UNIQUE INDEX risk_areas_active_set ON risk_areas(jurisdiction_code, name)
    WHERE lifted_at IS NULL AND addresses IS NOT NULL;

-- One arrival (来驻返驻). `origin` is a jurisdiction code (domestic) or an ISO 3166 country
-- code (international); the same person, origin and arrival day is one entry, so a repeated
-- report merges into it.
CREATE TABLE travel_entries (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id),
    pocket         TEXT NOT NULL CHECK (pocket IN ('international','domestic')),
    origin         TEXT NOT NULL,
    origin_address TEXT,
    route          TEXT,
    departed_on    TEXT,
    arrived_at     INTEGER NOT NULL,
    arrival_day    TEXT NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    source         TEXT NOT NULL
                   CHECK (source IN ('self_report','checkpoint','file_import','upper_push')),
    vaccination    TEXT,
    occupation     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (person_id, origin, arrival_day)
);
CREATE INDEX travel_entries_community ON travel_entries(community_code, arrival_day);

-- A control measure assigned to a person by a policy version. The facts it was classified
-- on are kept so it can be re-evaluated; `stages` is `kind:days,...` and `test_days`
-- `1,2,3` (day 1 is `starts_on`); `ends_on` is the last day of the last stage.
CREATE TABLE control_measures (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES persons(id),
    community_code  TEXT NOT NULL REFERENCES jurisdictions(code),
    travel_entry_id INTEGER UNIQUE REFERENCES travel_entries(id),
    source_ref      TEXT,
    pocket          TEXT NOT NULL,
    origin          TEXT,
    origin_address  TEXT,
    departed_on     TEXT,
    origin_risk     TEXT,
    contact         TEXT,
    vaccination     TEXT,
    occupation      TEXT,
    policy_version  TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    stages          TEXT NOT NULL,
    test_days       TEXT NOT NULL,
    explanation_zh  TEXT NOT NULL,
    explanation_en  TEXT NOT NULL,
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'assigned'
                    CHECK (status IN ('assigned','active','released','escalated')),
    assigned_at     INTEGER NOT NULL,
    activated_at    INTEGER,
    closed_at       INTEGER,
    close_reason    TEXT,
    closed_by       TEXT,
    CHECK (ends_on >= starts_on),
    UNIQUE (person_id, source_ref)
);
CREATE INDEX control_measures_community ON control_measures(community_code, status);
CREATE INDEX control_measures_person ON control_measures(person_id);
CREATE INDEX control_measures_open ON control_measures(status, ends_on);

-- Daily health checks, one per measure and day (a later report that day replaces it).
CREATE TABLE health_checks (
    id          INTEGER PRIMARY KEY,
    measure_id  INTEGER NOT NULL REFERENCES control_measures(id),
    day         TEXT NOT NULL,
    temperature REAL NOT NULL,
    symptoms    TEXT NOT NULL,
    reported_by TEXT NOT NULL CHECK (reported_by IN ('staff','self','household')),
    reporter    TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (measure_id, day)
);

-- What re-evaluating an open measure after a designation or a policy version would change,
-- for staff to apply or dismiss.
CREATE TABLE measure_reviews (
    id              INTEGER PRIMARY KEY,
    measure_id      INTEGER NOT NULL REFERENCES control_measures(id),
    trigger_kind    TEXT NOT NULL CHECK (trigger_kind IN ('risk_area','policy')),
    trigger_ref     TEXT NOT NULL,
    old_rule_id     TEXT NOT NULL,
    old_text_zh     TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    origin_risk     TEXT,
    stages          TEXT NOT NULL,
    test_days       TEXT NOT NULL,
    explanation_zh  TEXT NOT NULL,
    explanation_en  TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending','applied','dismissed','superseded')),
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER,
    decided_by      TEXT,
    UNIQUE (measure_id, trigger_kind, trigger_ref)
);
CREATE INDEX measure_reviews_status ON measure_reviews(status, measure_id);
