-- Key populations on a testing schedule, round targets, ingest batches and idempotency keys
-- (SQLite). Keep in step with postgres/0004_testing_schedules.sql.

-- A key population (medical staff, cold-chain workers, delivery riders...) tested every
-- `interval_days` days (1 daily, 2 every two days, 7 weekly, any other value custom).
-- `rule` is JSON ({"occupations": [...]}) when membership follows a rule, NULL when it is
-- imported only.
CREATE TABLE key_groups (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    interval_days     INTEGER NOT NULL CHECK (interval_days BETWEEN 1 AND 366),
    rule              TEXT,
    created_at        INTEGER NOT NULL
);

CREATE TABLE key_group_members (
    group_id  INTEGER NOT NULL REFERENCES key_groups(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    source    TEXT NOT NULL CHECK (source IN ('import','rule')),
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX key_group_members_person ON key_group_members(person_id);

-- A round targets every resident of its jurisdiction, or only the members of a key group.
ALTER TABLE testing_rounds ADD COLUMN key_group_id INTEGER REFERENCES key_groups(id);

CREATE INDEX tubes_collected ON tubes(collected_at);

-- Every accepted upload of samples or results, with what it did and how long the results
-- took to reach their retest tasks (the fan-out time).
CREATE TABLE testing_batches (
    id                      INTEGER PRIMARY KEY,
    kind                    TEXT NOT NULL CHECK (kind IN ('samples','results')),
    file                    TEXT NOT NULL,
    actor                   TEXT NOT NULL,
    rows_read               INTEGER NOT NULL,
    stored                  INTEGER NOT NULL,
    already_stored          INTEGER NOT NULL,
    refused                 INTEGER NOT NULL,
    retest_tasks_created    INTEGER NOT NULL,
    suspected_cases_created INTEGER NOT NULL,
    fan_out_ms              INTEGER NOT NULL,
    received_at             INTEGER NOT NULL
);

-- Responses of API writes sent with an Idempotency-Key, replayed when the same request is
-- sent again with the same key.
CREATE TABLE idempotency_keys (
    principal      TEXT NOT NULL,
    key            TEXT NOT NULL,
    route          TEXT NOT NULL,
    request_sha256 BLOB NOT NULL,
    status         INTEGER NOT NULL,
    body           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
);
