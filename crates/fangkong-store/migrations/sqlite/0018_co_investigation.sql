-- Co-investigation (协查), directives (指令), the duty roster (值班值守) and federation between
-- instances (sqlite). Keep in step with postgres/0018_co_investigation.sql.
--
-- A task is a list pushed down (from a federated instance above, or created here) with a
-- deadline. `uid` names it on every instance (`<origin code>-<origin id>`), so feedback can
-- travel back. Each item has its position `seq` in the list, the same everywhere. An item
-- naming a person carries the identifier encrypted and blind-indexed like the person
-- registry, never in clear. `assigned_code` is the jurisdiction that holds the item: the
-- resident's community when the registry resolves it, else the receiving level until
-- someone assigns it by hand.
CREATE TABLE co_tasks (
    id                INTEGER PRIMARY KEY,
    uid               TEXT NOT NULL UNIQUE,
    origin_code       TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    upstream_peer     TEXT,
    downstream_peer   TEXT,
    title             TEXT NOT NULL,
    reason            TEXT NOT NULL,
    source            TEXT NOT NULL,
    deadline_at       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL,
    n_items           INTEGER NOT NULL
);
CREATE INDEX co_tasks_jurisdiction ON co_tasks(jurisdiction_code, deadline_at);

CREATE TABLE co_items (
    id             INTEGER PRIMARY KEY,
    task_id        INTEGER NOT NULL REFERENCES co_tasks(id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('person_id','phone','place')),
    subject_blind  BLOB,
    subject_cipher BLOB,
    subject_masked TEXT NOT NULL,
    place          TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    person_id      INTEGER REFERENCES persons(id),
    assigned_code  TEXT NOT NULL,
    assigned_how   TEXT NOT NULL CHECK (assigned_how IN ('receiving','auto','manual')),
    status         TEXT NOT NULL CHECK (status IN ('open','done')),
    outcome        TEXT CHECK (outcome IN ('controlled','not_found','left_area','forwarded','duplicate')),
    outcome_note   TEXT NOT NULL DEFAULT '',
    measure_id     INTEGER REFERENCES control_measures(id),
    forwarded_to   TEXT,
    fed_back_at    INTEGER,
    fed_back_by    TEXT,
    escalated_to   TEXT,
    escalated_at   INTEGER,
    updated_at     INTEGER NOT NULL,
    UNIQUE (task_id, seq),
    CHECK ((status = 'done') = (outcome IS NOT NULL)),
    CHECK ((outcome = 'forwarded') = (forwarded_to IS NOT NULL))
);
CREATE INDEX co_items_assigned ON co_items(assigned_code, status);

-- A notice raised when overdue items moved up a level: one per task, level and sweep.
CREATE TABLE co_notices (
    id                INTEGER PRIMARY KEY,
    task_id           INTEGER NOT NULL REFERENCES co_tasks(id),
    jurisdiction_code TEXT NOT NULL,
    n_items           INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX co_notices_jurisdiction ON co_notices(jurisdiction_code, created_at);

-- Directives from headquarters to a department or a county, with acknowledgement and a
-- completion report.
CREATE TABLE directives (
    id                INTEGER PRIMARY KEY,
    issuer_code       TEXT NOT NULL,
    target_code       TEXT NOT NULL,
    target_unit       TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    issued_at         INTEGER NOT NULL,
    issued_by         TEXT NOT NULL,
    due_at            INTEGER NOT NULL,
    acknowledged_at   INTEGER,
    acknowledged_by   TEXT,
    completed_at      INTEGER,
    completed_by      TEXT,
    completion_report TEXT,
    CHECK (completed_at IS NULL OR acknowledged_at IS NOT NULL)
);
CREATE INDEX directives_target ON directives(target_code, due_at);

-- Shifts of the duty roster per unit (a jurisdiction's headquarters or a department), the
-- handover note left at the end, and the log of what happened during the shift.
CREATE TABLE duty_shifts (
    id            INTEGER PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    unit_name     TEXT NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    leader        TEXT NOT NULL,
    officer       TEXT NOT NULL,
    handover_note TEXT,
    created_by    TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX duty_shifts_unit ON duty_shifts(unit_code, starts_at);

CREATE TABLE duty_log (
    id          INTEGER PRIMARY KEY,
    shift_id    INTEGER NOT NULL REFERENCES duty_shifts(id),
    at          INTEGER NOT NULL,
    text        TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);

-- Federation: the instances this one exchanges messages with (by jurisdiction code, with
-- their Ed25519 public key), the transactional outbox, the inbox of message ids applied
-- (the deduplication key) and the refusals (unsigned, wrongly signed, unknown peer,
-- replayed, outside the receiver).
CREATE TABLE federation_peers (
    code       TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    public_key TEXT NOT NULL,
    added_at   INTEGER NOT NULL
);

CREATE TABLE federation_outbox (
    id           INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL UNIQUE,
    peer_code    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    delivered_at INTEGER,
    failed_at    INTEGER
);
CREATE INDEX federation_outbox_pending ON federation_outbox(id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE federation_inbox (
    message_id  TEXT PRIMARY KEY,
    sender_code TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE TABLE federation_refusals (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    sender_code TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL
);
