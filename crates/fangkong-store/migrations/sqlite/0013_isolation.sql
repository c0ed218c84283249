-- Isolation (quarantine sites, rooms, stays) and treatment (hospital beds, admissions, teams)
-- (sqlite). Keep in step with postgres/0013_isolation.sql.
--
-- Capacity is enforced by the database, not only by the app: a room's `occupants` and a
-- hospital's `occupied_*` counters move in the same transaction as the stay or admission, by
-- a conditional UPDATE that matches no row when the room or ward is full; CHECKs make an
-- over-full row impossible whatever the code path.

-- A quarantine site's turnaround rule: a vacated room is cleaned for this many hours before
-- it can be used again (终末消毒). Hospitals' bed counters.
ALTER TABLE facilities ADD COLUMN turnaround_hours INTEGER NOT NULL DEFAULT 24
    CHECK (turnaround_hours >= 0);
ALTER TABLE facilities ADD COLUMN occupied_general INTEGER NOT NULL DEFAULT 0
    CHECK (occupied_general >= 0 AND occupied_general <= beds_general);
ALTER TABLE facilities ADD COLUMN occupied_icu INTEGER NOT NULL DEFAULT 0
    CHECK (occupied_icu >= 0 AND occupied_icu <= beds_icu);
ALTER TABLE facilities ADD COLUMN occupied_isolation INTEGER NOT NULL DEFAULT 0
    CHECK (occupied_isolation >= 0 AND occupied_isolation <= beds_isolation);

-- A room holds one household at a time (`household_key`: the person's household id, or
-- minus the person id for someone without one) and never more people than beds. Its status
-- is derived: occupied while `occupants > 0`, cleaning until `vacated_at` plus the site's
-- turnaround, out of service while `out_of_service_reason` is set, free otherwise.
ALTER TABLE rooms ADD COLUMN accessible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN occupants INTEGER NOT NULL DEFAULT 0
    CHECK (occupants >= 0 AND occupants <= beds);
ALTER TABLE rooms ADD COLUMN household_key INTEGER;
ALTER TABLE rooms ADD COLUMN vacated_at INTEGER;
ALTER TABLE rooms ADD COLUMN out_of_service_reason TEXT;

-- One stay of a person at a site. `community_code` is the site's (the scope of stays: a
-- site's staff run it). The measure whose centralised stage the stay serves gives the planned
-- release day (the stage's last day) and the release criteria.
CREATE TABLE isolation_stays (
    id                 INTEGER PRIMARY KEY,
    person_id          INTEGER NOT NULL REFERENCES persons(id),
    measure_id         INTEGER NOT NULL REFERENCES control_measures(id),
    facility_id        INTEGER NOT NULL REFERENCES facilities(id),
    room_id            INTEGER NOT NULL REFERENCES rooms(id),
    community_code     TEXT NOT NULL REFERENCES jurisdictions(code),
    household_key      INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('placed','in','out')),
    planned_release_on TEXT NOT NULL,
    placed_at          INTEGER NOT NULL,
    placed_by          TEXT NOT NULL,
    -- The allocator's explanation (JSON), or the override's reason.
    explanation        TEXT NOT NULL,
    overridden         INTEGER NOT NULL DEFAULT 0,
    checked_in_at      INTEGER,
    checked_out_at     INTEGER,
    outcome            TEXT CHECK (outcome IN ('released','hospital','cancelled')),
    outcome_note       TEXT,
    certificate_no     TEXT UNIQUE,
    CHECK ((status = 'out') = (outcome IS NOT NULL))
);
-- A person is in at most one open stay: a second placement or check-in is refused.
CREATE UNIQUE INDEX isolation_stays_open ON isolation_stays(person_id) WHERE status <> 'out';
CREATE INDEX isolation_stays_site ON isolation_stays(facility_id, status);
CREATE INDEX isolation_stays_scope ON isolation_stays(community_code, status);
CREATE INDEX isolation_stays_measure ON isolation_stays(measure_id);
CREATE INDEX isolation_stays_placed ON isolation_stays(placed_at);

-- One hospital admission. `community_code` is the hospital's (the scope of admissions); a
-- transfer closes one admission (outcome `transferred`) and opens the next, which names it.
CREATE TABLE admissions (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES persons(id),
    case_id           INTEGER REFERENCES cases(id),
    facility_id       INTEGER NOT NULL REFERENCES facilities(id),
    community_code    TEXT NOT NULL REFERENCES jurisdictions(code),
    bed_type          TEXT NOT NULL CHECK (bed_type IN ('general','icu','isolation')),
    severity          TEXT NOT NULL CHECK (severity IN ('mild','moderate','severe','critical')),
    admitted_at       INTEGER NOT NULL,
    admitted_by       TEXT NOT NULL,
    from_admission_id INTEGER REFERENCES admissions(id),
    from_stay_id      INTEGER REFERENCES isolation_stays(id),
    discharged_at     INTEGER,
    outcome           TEXT CHECK (outcome IN ('recovered','transferred','died','other')),
    outcome_note      TEXT,
    CHECK ((discharged_at IS NULL) = (outcome IS NULL))
);
CREATE UNIQUE INDEX admissions_open ON admissions(person_id) WHERE discharged_at IS NULL;
CREATE INDEX admissions_hospital ON admissions(facility_id, discharged_at);
CREATE INDEX admissions_scope ON admissions(community_code, discharged_at);
CREATE INDEX admissions_admitted ON admissions(admitted_at);

-- Severity over an admission's life (admitted, changed, at transfer and discharge).
CREATE TABLE admission_events (
    id           INTEGER PRIMARY KEY,
    admission_id INTEGER NOT NULL REFERENCES admissions(id),
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('admitted','severity','transferred','discharged')),
    detail       TEXT NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX admission_events_admission ON admission_events(admission_id, at);

-- Municipal treatment teams (医疗救治队) and site teams, their members and deployments.
-- `jurisdiction_code` is the team's owner (the city's teams carry the city code).
CREATE TABLE teams (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    created_at        INTEGER NOT NULL
);

CREATE TABLE team_members (
    id        INTEGER PRIMARY KEY,
    team_id   INTEGER NOT NULL REFERENCES teams(id),
    name      TEXT NOT NULL,
    specialty TEXT NOT NULL,
    leader    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (team_id, name)
);

-- A team's deployment to a hospital or quarantine site for a period of days (inclusive). A
-- team's deployments never overlap (checked by the app in the writing transaction).
CREATE TABLE team_deployments (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    facility_id INTEGER NOT NULL REFERENCES facilities(id),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX team_deployments_team ON team_deployments(team_id, starts_on);
CREATE INDEX team_deployments_facility ON team_deployments(facility_id, starts_on);
