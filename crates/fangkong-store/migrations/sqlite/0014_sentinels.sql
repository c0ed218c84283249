-- Sentinel surveillance and early warning (sqlite). Keep in step with
-- postgres/0014_sentinels.sql.
--
-- A sentinel is a facility of kind 'sentinel' whose subtype is its type
-- (fangkong_domain::sentinel::SentinelType). `community_code` of every table below is the
-- sentinel's (or, for an aggregate alert, the jurisdiction's) code: the scope filter.

-- The daily reporting deadline of a type, in minutes after the end of the reported day
-- (China Standard Time). A type without a row keeps the default of the domain.
CREATE TABLE sentinel_deadlines (
    sentinel_type    TEXT PRIMARY KEY,
    deadline_minutes INTEGER NOT NULL CHECK (deadline_minutes >= 0 AND deadline_minutes <= 2880),
    updated_at       INTEGER NOT NULL,
    updated_by       TEXT NOT NULL
);

-- One count per sentinel, day and indicator. The same key sent again with the same count
-- changes nothing; with another count it replaces the stored one (a correction), and
-- `revisions` counts the replacements.
CREATE TABLE sentinel_reports (
    id             INTEGER PRIMARY KEY,
    sentinel_id    INTEGER NOT NULL REFERENCES facilities(id),
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    -- YYYY-MM-DD, the reported day in China Standard Time.
    day            TEXT NOT NULL,
    indicator      TEXT NOT NULL,
    count          INTEGER NOT NULL CHECK (count >= 0),
    source         TEXT NOT NULL CHECK (source IN ('form','api','file','demo')),
    reported_at    INTEGER NOT NULL,
    reported_by    TEXT NOT NULL,
    revisions      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sentinel_id, day, indicator)
);
CREATE INDEX sentinel_reports_community_day ON sentinel_reports(community_code, day);
CREATE INDEX sentinel_reports_day ON sentinel_reports(day);

-- A signal of the daily aberration run, deduplicated across levels: the most local series
-- that alarmed (`series_key`: 's:<sentinel id>' or 'j:<jurisdiction code>') with the levels
-- that alarmed with it (`levels`, comma-separated, e.g. 'sentinel,township,county').
-- A series alarming again while its alert is open extends it (`last_day`, `signal_days`).
CREATE TABLE sentinel_alerts (
    id                INTEGER PRIMARY KEY,
    series_key        TEXT NOT NULL,
    sentinel_type     TEXT NOT NULL,
    indicator         TEXT NOT NULL,
    level             TEXT NOT NULL CHECK (level IN ('sentinel','township','county','city')),
    levels            TEXT NOT NULL,
    sentinel_id       INTEGER REFERENCES facilities(id),
    community_code    TEXT NOT NULL REFERENCES jurisdictions(code),
    first_day         TEXT NOT NULL,
    last_day          TEXT NOT NULL,
    signal_days       INTEGER NOT NULL DEFAULT 1,
    observed          INTEGER NOT NULL,
    threshold         REAL NOT NULL,
    expected          REAL,
    strength          REAL NOT NULL,
    novel             INTEGER NOT NULL,
    score             REAL NOT NULL,
    method            TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new','verifying','confirmed','dismissed')),
    assignee          TEXT,
    -- When the run raised it, when someone started verifying, when the verdict came.
    signal_at         INTEGER NOT NULL,
    verifying_at      INTEGER,
    closed_at         INTEGER,
    created_by        TEXT NOT NULL,
    UNIQUE (series_key, sentinel_type, indicator, first_day),
    CHECK ((status IN ('confirmed','dismissed')) = (closed_at IS NOT NULL))
);
CREATE INDEX sentinel_alerts_community ON sentinel_alerts(community_code, last_day);
CREATE INDEX sentinel_alerts_series ON sentinel_alerts(series_key, sentinel_type, indicator, last_day);

-- The history of an alert: the signal, each new signal day, status changes, assignment,
-- notes.
CREATE TABLE sentinel_alert_events (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES sentinel_alerts(id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('signal','signal_again','status','assign','note')),
    from_status TEXT,
    to_status   TEXT,
    assignee    TEXT,
    note        TEXT,
    actor       TEXT NOT NULL
);
CREATE INDEX sentinel_alert_events_alert ON sentinel_alert_events(alert_id, id);

-- What a user is notified of: alerts of these types and indicators (empty: all), that
-- reached at least `min_level`, with at least `min_strength`.
CREATE TABLE sentinel_subscriptions (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    types        TEXT NOT NULL,
    indicators   TEXT NOT NULL,
    min_level    TEXT NOT NULL CHECK (min_level IN ('sentinel','township','county','city')),
    min_strength REAL NOT NULL CHECK (min_strength >= 0),
    updated_at   INTEGER NOT NULL
);
