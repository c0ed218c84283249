-- Foundation schema (SQLite). Keep in step with migrations/postgres/0001_foundation.sql.
-- Times are Unix milliseconds (INTEGER); dates are ISO 8601 text; codes are digit strings
-- compared bytewise so that a subtree is the range [code, code || ':').

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province','city','county','township','community')),
    parent_code TEXT REFERENCES jurisdictions(code),
    pop_0_14    INTEGER,
    pop_15_59   INTEGER,
    pop_60_79   INTEGER,
    pop_80_plus INTEGER,
    male        INTEGER,
    female      INTEGER,
    lon         REAL,
    lat         REAL,
    boundary    TEXT,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX jurisdictions_parent ON jurisdictions(parent_code);
CREATE INDEX jurisdictions_level ON jurisdictions(level, code);

CREATE TABLE households (
    id             INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    address        TEXT NOT NULL,
    size           INTEGER NOT NULL
);
CREATE INDEX households_community ON households(community_code);

CREATE TABLE facilities (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    subtype        TEXT NOT NULL,
    name           TEXT NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    place_code     TEXT UNIQUE,
    capacity       INTEGER NOT NULL,
    beds_general   INTEGER NOT NULL DEFAULT 0,
    beds_icu       INTEGER NOT NULL DEFAULT 0,
    beds_isolation INTEGER NOT NULL DEFAULT 0,
    lon            REAL,
    lat            REAL,
    synthetic      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX facilities_kind ON facilities(kind, community_code);
CREATE INDEX facilities_community ON facilities(community_code);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES facilities(id),
    number      TEXT NOT NULL,
    beds        INTEGER NOT NULL,
    UNIQUE (facility_id, number)
);

CREATE TABLE persons (
    id             INTEGER PRIMARY KEY,
    doc_kind       TEXT NOT NULL,
    doc_blind      BLOB NOT NULL,
    doc_cipher     BLOB NOT NULL,
    doc_masked     TEXT NOT NULL,
    nationality    TEXT NOT NULL,
    name           TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male','female')),
    birth_date     TEXT NOT NULL,
    phone_blind    BLOB,
    phone_cipher   BLOB,
    phone_masked   TEXT,
    address        TEXT,
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    household_id   INTEGER REFERENCES households(id),
    workplace_id   INTEGER REFERENCES facilities(id),
    school_id      INTEGER REFERENCES facilities(id),
    occupation     TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    synthetic      INTEGER NOT NULL DEFAULT 0,
    merged_into    INTEGER REFERENCES persons(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- The person indexes are created by the store at start (Store::open), not here, so that a
-- bulk load can drop them and rebuild them sorted afterwards; see fangkong-store bulk.rs.

CREATE TABLE person_events (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX person_events_person ON person_events(person_id, at);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL,
    jurisdiction_code TEXT REFERENCES jurisdictions(code),
    disabled          INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
