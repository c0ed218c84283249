-- Identity, access control, audit and retention (SQLite). Keep in step with postgres/.

CREATE TABLE org_units (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('headquarters_office','department','county_headquarters','township_headquarters')),
    jurisdiction_code TEXT REFERENCES jurisdictions(code)
);
INSERT INTO org_units (code, name, kind) VALUES
    ('hq-office', '指挥部办公室', 'headquarters_office'),
    ('dept-inbound', '四个口袋管控专班', 'department'),
    ('dept-sentinel', '哨点监测专班', 'department'),
    ('dept-testing', '核酸检测专班', 'department'),
    ('dept-tracing', '流调溯源专班', 'department'),
    ('dept-isolation', '隔离管控专班', 'department'),
    ('dept-treatment', '医疗救治专班', 'department'),
    ('dept-immunization', '社会免疫专班', 'department'),
    ('dept-supplies', '物资保障专班', 'department');

ALTER TABLE users ADD COLUMN org_unit TEXT REFERENCES org_units(code);
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;

-- A token may narrow its user's permissions (JSON array) and jurisdiction.
ALTER TABLE api_tokens ADD COLUMN permissions TEXT;
ALTER TABLE api_tokens ADD COLUMN jurisdiction_code TEXT;

-- A closed record (moved away, control ended) may be purged after the retention period.
ALTER TABLE persons ADD COLUMN closed_at INTEGER;
ALTER TABLE persons ADD COLUMN purged_at INTEGER;

-- Append-only, hash-chained: hash = SHA-256(prev_hash || fields); the chain head is kept in
-- meta ('audit.head') in the same transaction, so a removed tail is detected too.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT,
    purpose      TEXT,
    operation_id TEXT NOT NULL,
    detail       TEXT NOT NULL,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, at);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
