-- Reviews of arrivals as well as of measures (postgres). Keep in step with
-- sqlite/0011_arrival_reviews.sql.
--
-- An arrival classified "no control" has no measure; when its origin is designated later (or
-- a policy version changes), the review names the arrival instead, and applying it assigns
-- the measure. A review names exactly one of the two.
ALTER TABLE measure_reviews ALTER COLUMN measure_id DROP NOT NULL;
ALTER TABLE measure_reviews ADD COLUMN travel_entry_id BIGINT REFERENCES travel_entries(id);
ALTER TABLE measure_reviews ADD CONSTRAINT measure_reviews_one_subject
    CHECK ((measure_id IS NULL) <> (travel_entry_id IS NULL));
ALTER TABLE measure_reviews ADD CONSTRAINT measure_reviews_entry_trigger
    UNIQUE (travel_entry_id, trigger_kind, trigger_ref);
CREATE INDEX measure_reviews_entry ON measure_reviews(travel_entry_id, status);
