-- Supplies (物资保障): items, batches, and the stock ledger of warehouses (sqlite). Keep in
-- step with postgres/0016_supplies.sql.
--
-- Warehouses are facilities of kind `warehouse` (subtype `city_reserve`, `county_reserve` or
-- `site_store`). Every receipt, issue, transfer, adjustment and write-off is one immutable
-- movement with an idempotency key and its lines (signed quantities per warehouse, item and
-- batch). `supply_stock` is the balance the lines add up to, moved in the same transaction
-- as each line; its CHECK makes negative stock impossible whatever the code path.

-- An item with its unit, pack size, reserve target and consumption model: units consumed per
-- sample, per sampler shift, per quarantine person-day, per bed-day by type, per team-day.
CREATE TABLE supply_items (
    id                    INTEGER PRIMARY KEY,
    code                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    category              TEXT NOT NULL,
    unit                  TEXT NOT NULL,
    pack_size             INTEGER NOT NULL CHECK (pack_size >= 1),
    target_days           INTEGER NOT NULL DEFAULT 30 CHECK (target_days >= 1),
    per_sample            REAL NOT NULL DEFAULT 0 CHECK (per_sample >= 0),
    per_sampler_shift     REAL NOT NULL DEFAULT 0 CHECK (per_sampler_shift >= 0),
    per_quarantine_day    REAL NOT NULL DEFAULT 0 CHECK (per_quarantine_day >= 0),
    per_bed_day_general   REAL NOT NULL DEFAULT 0 CHECK (per_bed_day_general >= 0),
    per_bed_day_icu       REAL NOT NULL DEFAULT 0 CHECK (per_bed_day_icu >= 0),
    per_bed_day_isolation REAL NOT NULL DEFAULT 0 CHECK (per_bed_day_isolation >= 0),
    per_team_day          REAL NOT NULL DEFAULT 0 CHECK (per_team_day >= 0)
);

-- A production lot of an item; `expires_on` (YYYY-MM-DD) is NULL for items that keep.
CREATE TABLE supply_batches (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES supply_items(id),
    lot        TEXT NOT NULL,
    expires_on TEXT,
    UNIQUE (item_id, lot)
);

-- One movement. `request_sha256` is the hash of the request it was posted from: the same key
-- with the same request answers the stored movement, with another request it is a conflict.
-- `community_code` is the (source) warehouse's, the scope of the movement.
CREATE TABLE supply_movements (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_sha256  TEXT NOT NULL,
    kind            TEXT NOT NULL
        CHECK (kind IN ('receipt','issue','transfer','adjustment','write_off')),
    warehouse_id    INTEGER NOT NULL REFERENCES facilities(id),
    to_warehouse_id INTEGER REFERENCES facilities(id),
    community_code  TEXT NOT NULL REFERENCES jurisdictions(code),
    note            TEXT NOT NULL DEFAULT '',
    recorded_at     INTEGER NOT NULL,
    recorded_by     TEXT NOT NULL,
    CHECK ((kind = 'transfer') = (to_warehouse_id IS NOT NULL))
);
CREATE INDEX supply_movements_time ON supply_movements(recorded_at);

CREATE TABLE supply_movement_lines (
    id           INTEGER PRIMARY KEY,
    movement_id  INTEGER NOT NULL REFERENCES supply_movements(id),
    warehouse_id INTEGER NOT NULL REFERENCES facilities(id),
    item_id      INTEGER NOT NULL REFERENCES supply_items(id),
    batch_id     INTEGER NOT NULL REFERENCES supply_batches(id),
    quantity     INTEGER NOT NULL CHECK (quantity <> 0)
);
CREATE INDEX supply_lines_movement ON supply_movement_lines(movement_id);
CREATE INDEX supply_lines_stock ON supply_movement_lines(warehouse_id, item_id, batch_id);

CREATE TABLE supply_stock (
    warehouse_id INTEGER NOT NULL REFERENCES facilities(id),
    item_id      INTEGER NOT NULL REFERENCES supply_items(id),
    batch_id     INTEGER NOT NULL REFERENCES supply_batches(id),
    quantity     INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (warehouse_id, item_id, batch_id)
);

CREATE TRIGGER supply_movements_no_update BEFORE UPDATE ON supply_movements
BEGIN SELECT RAISE(ABORT, 'supply movements are immutable'); END;
CREATE TRIGGER supply_movements_no_delete BEFORE DELETE ON supply_movements
BEGIN SELECT RAISE(ABORT, 'supply movements are immutable'); END;
CREATE TRIGGER supply_lines_no_update BEFORE UPDATE ON supply_movement_lines
BEGIN SELECT RAISE(ABORT, 'supply movements are immutable'); END;
CREATE TRIGGER supply_lines_no_delete BEFORE DELETE ON supply_movement_lines
BEGIN SELECT RAISE(ABORT, 'supply movements are immutable'); END;
