-- Immunization: vaccination records and each person's status (sqlite). Keep in step with
-- postgres/0015_immunization.sql.
--
-- One row per person and dose number: a record sent again (the same file, or a FHIR
-- Immunization) finds its row and changes nothing, a corrected one updates it. The scope of a
-- record is its person's (persons.community_code). `fhir_id` is the id of the Immunization
-- resource it came from, if any.
CREATE TABLE vaccinations (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES persons(id),
    dose_number   INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 6),
    product       TEXT NOT NULL,
    vaccinated_on TEXT NOT NULL,
    lot           TEXT,
    site          TEXT,
    source        TEXT NOT NULL,
    fhir_id       TEXT,
    recorded_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (person_id, dose_number)
);

-- What a person's doses add up to (fangkong_domain::immunization::Status), rewritten in the
-- same transaction as any change of their doses. Coverage, trend and outreach lists read it
-- joined to persons, whose community and birth date stay the truth.
CREATE TABLE immunization_status (
    person_id   INTEGER PRIMARY KEY REFERENCES persons(id),
    doses       INTEGER NOT NULL CHECK (doses >= 1),
    first_on    TEXT NOT NULL,
    full_on     TEXT,
    booster_on  TEXT,
    last_on     TEXT NOT NULL,
    next_due_on TEXT
);
CREATE INDEX immunization_status_first ON immunization_status(first_on);
