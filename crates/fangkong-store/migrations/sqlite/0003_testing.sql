-- Nucleic-acid testing (SQLite). Keep in step with postgres/0003_testing.sql.

CREATE TABLE testing_rounds (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    starts_on         TEXT NOT NULL,
    ends_on           TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);

-- One tube: a single sample or a pool of up to 20. `status` is the latest result's outcome.
CREATE TABLE tubes (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    site_code    TEXT NOT NULL,
    pool_size    INTEGER NOT NULL CHECK (pool_size BETWEEN 1 AND 20),
    round_id     INTEGER REFERENCES testing_rounds(id),
    collected_at INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'collected'
                 CHECK (status IN ('collected','negative','positive','inconclusive'))
);
CREATE INDEX tubes_round ON tubes(round_id);
CREATE INDEX tubes_status ON tubes(status);

CREATE TABLE samples (
    id           INTEGER PRIMARY KEY,
    tube_id      INTEGER NOT NULL REFERENCES tubes(id),
    person_id    INTEGER NOT NULL REFERENCES persons(id),
    collected_at INTEGER NOT NULL,
    UNIQUE (tube_id, person_id)
);
CREATE INDEX samples_person ON samples(person_id, collected_at);

-- Every result received, kept as history: a later result for a tube never overwrites.
CREATE TABLE tube_results (
    id          INTEGER PRIMARY KEY,
    tube_id     INTEGER NOT NULL REFERENCES tubes(id),
    outcome     TEXT NOT NULL CHECK (outcome IN ('negative','positive','inconclusive')),
    ct_orf1ab   REAL,
    ct_n        REAL,
    lab_code    TEXT NOT NULL,
    tested_at   INTEGER NOT NULL,
    reported_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (tube_id, outcome, lab_code, tested_at)
);
CREATE INDEX tube_results_tube ON tube_results(tube_id);

-- Positive or inconclusive pools fan out: every member gets a single-tube retest, routed to
-- the community of residence.
CREATE TABLE retest_tasks (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id),
    tube_id        INTEGER NOT NULL REFERENCES tubes(id),
    result_id      INTEGER NOT NULL REFERENCES tube_results(id),
    reason         TEXT NOT NULL CHECK (reason IN ('pool_positive','pool_inconclusive')),
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done')),
    created_at     INTEGER NOT NULL,
    UNIQUE (person_id, tube_id)
);
CREATE INDEX retest_tasks_community ON retest_tasks(community_code, status);

-- A positive single tube makes its person a suspected case for tracing.
CREATE TABLE suspected_cases (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id),
    tube_id        INTEGER NOT NULL REFERENCES tubes(id),
    result_id      INTEGER NOT NULL REFERENCES tube_results(id),
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    created_at     INTEGER NOT NULL,
    UNIQUE (person_id, tube_id)
);
