-- Imported cold-chain goods (sqlite). Keep in step with postgres/0009_coldchain.sql.
--
-- A batch belongs to the jurisdiction of its cold store (the store's community), which
-- decides who sees it. A location is named by a key: 'F<facility id>' for a facility,
-- 'A<jurisdiction code>:<address>' for a free address; the cold store is the batch's first
-- location. A positive result seals the batch and opens one task per location and per exposed
-- worker, each at most once per batch (unique keys), in the same transaction.
CREATE TABLE coldchain_batches (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    product           TEXT NOT NULL,
    -- ISO 3166-1 alpha-2.
    origin_country    TEXT NOT NULL,
    port_of_entry     TEXT NOT NULL,
    cold_store_id     INTEGER NOT NULL REFERENCES facilities(id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    quantity          REAL NOT NULL CHECK (quantity > 0),
    unit              TEXT NOT NULL,
    arrived_at        INTEGER NOT NULL,
    trace_code        TEXT NOT NULL,
    disinfection_cert TEXT,
    status            TEXT NOT NULL DEFAULT 'in_store'
                      CHECK (status IN ('in_store','distributed','sealed','destroyed')),
    sealed_at         INTEGER,
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL
);
CREATE INDEX coldchain_batches_jurisdiction ON coldchain_batches(jurisdiction_code, arrived_at);

-- Test results of goods, packaging and the environment; the same test again is one row.
CREATE TABLE coldchain_results (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES coldchain_batches(id),
    sample_kind TEXT NOT NULL CHECK (sample_kind IN ('goods','packaging','environment')),
    result      TEXT NOT NULL CHECK (result IN ('negative','positive')),
    tested_at   INTEGER NOT NULL,
    lab         TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (batch_id, sample_kind, tested_at, lab)
);

-- Movements of a batch from its cold store downstream.
CREATE TABLE coldchain_distributions (
    id                INTEGER PRIMARY KEY,
    batch_id          INTEGER NOT NULL REFERENCES coldchain_batches(id),
    location_key      TEXT NOT NULL,
    facility_id       INTEGER REFERENCES facilities(id),
    address           TEXT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    quantity          REAL NOT NULL CHECK (quantity > 0),
    moved_at          INTEGER NOT NULL,
    recorded_at       INTEGER NOT NULL,
    recorded_by       TEXT NOT NULL,
    CHECK ((facility_id IS NULL) <> (address IS NULL)),
    UNIQUE (batch_id, location_key, moved_at)
);

-- Workers who handled a batch at one of its locations.
CREATE TABLE coldchain_exposures (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES coldchain_batches(id),
    person_id    INTEGER NOT NULL REFERENCES persons(id),
    location_key TEXT NOT NULL,
    handled_at   INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL,
    UNIQUE (batch_id, person_id, location_key, handled_at)
);

-- Control tasks opened by a positive result: seal_and_disinfect per location (target is the
-- location key), quarantine_worker per exposed worker (target 'P<person id>', routed to the
-- worker's community of residence).
CREATE TABLE coldchain_tasks (
    id                INTEGER PRIMARY KEY,
    batch_id          INTEGER NOT NULL REFERENCES coldchain_batches(id),
    result_id         INTEGER NOT NULL REFERENCES coldchain_results(id),
    kind              TEXT NOT NULL CHECK (kind IN ('seal_and_disinfect','quarantine_worker')),
    target            TEXT NOT NULL,
    facility_id       INTEGER REFERENCES facilities(id),
    address           TEXT,
    person_id         INTEGER REFERENCES persons(id),
    jurisdiction_code TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done')),
    note              TEXT,
    created_at        INTEGER NOT NULL,
    closed_at         INTEGER,
    closed_by         TEXT,
    UNIQUE (batch_id, kind, target)
);
CREATE INDEX coldchain_tasks_jurisdiction ON coldchain_tasks(jurisdiction_code, status);
