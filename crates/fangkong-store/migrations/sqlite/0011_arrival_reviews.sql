-- Reviews of arrivals as well as of measures (sqlite). Keep in step with
-- postgres/0011_arrival_reviews.sql.
--
-- An arrival classified "no control" has no measure; when its origin is designated later (or
-- a policy version changes), the review names the arrival instead, and applying it assigns
-- the measure. A review names exactly one of the two.
CREATE TABLE measure_reviews_new (
    id              INTEGER PRIMARY KEY,
    measure_id      INTEGER REFERENCES control_measures(id),
    travel_entry_id INTEGER REFERENCES travel_entries(id),
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
    CHECK ((measure_id IS NULL) <> (travel_entry_id IS NULL)),
    UNIQUE (measure_id, trigger_kind, trigger_ref),
    UNIQUE (travel_entry_id, trigger_kind, trigger_ref)
);
INSERT INTO measure_reviews_new (id, measure_id, trigger_kind, trigger_ref, old_rule_id,
    old_text_zh, policy_version, rule_id, origin_risk, stages, test_days, explanation_zh,
    explanation_en, status, created_at, decided_at, decided_by)
SELECT id, measure_id, trigger_kind, trigger_ref, old_rule_id, old_text_zh, policy_version,
    rule_id, origin_risk, stages, test_days, explanation_zh, explanation_en, status,
    created_at, decided_at, decided_by FROM measure_reviews;
DROP TABLE measure_reviews;
ALTER TABLE measure_reviews_new RENAME TO measure_reviews;
CREATE INDEX measure_reviews_status ON measure_reviews(status, measure_id);
CREATE INDEX measure_reviews_entry ON measure_reviews(travel_entry_id, status);
