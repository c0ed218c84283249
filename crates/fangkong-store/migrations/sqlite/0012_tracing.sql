-- Epidemiological investigation and tracing (sqlite). Keep in step with
-- postgres/0012_tracing.sql.
--
-- Venues are facilities with a place code (场所码): the synthetic city's venues, workplaces
-- and schools, and any imported venue list. A check-in names the venue by facility id; its
-- `community_code` is the venue's, the scope filter of check-in reads. Times are Unix
-- milliseconds, as everywhere in the store.
CREATE TABLE checkins (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id),
    venue_id       INTEGER NOT NULL REFERENCES facilities(id),
    community_code TEXT NOT NULL REFERENCES jurisdictions(code),
    time_in        INTEGER NOT NULL,
    -- NULL: the person did not check out; matching assumes a dwell time.
    time_out       INTEGER,
    source         TEXT NOT NULL CHECK (source IN ('scan','import','investigation')),
    UNIQUE (person_id, venue_id, time_in),
    CHECK (time_out IS NULL OR time_out > time_in)
);
CREATE INDEX checkins_venue_time ON checkins(venue_id, time_in);

-- One case per person. `community_code` is the person's community when registered: the
-- scope filter of every case read (a case is its home jurisdiction's to investigate).
CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY,
    person_id              INTEGER NOT NULL UNIQUE REFERENCES persons(id),
    community_code         TEXT NOT NULL REFERENCES jurisdictions(code),
    classification         TEXT NOT NULL
                           CHECK (classification IN ('suspected','asymptomatic','confirmed','excluded')),
    detection              TEXT NOT NULL CHECK (detection IN ('testing_round','sentinel','inbound',
                               'contact_follow_up','fever_clinic','other')),
    -- The sample (a tube code of the testing tables) or alert that led to the case.
    source_tube            TEXT,
    source_alert           TEXT,
    onset_at               INTEGER,
    detected_at            INTEGER NOT NULL,
    reported_at            INTEGER NOT NULL,
    isolated_at            INTEGER,
    admitted_at            INTEGER,
    severity               TEXT CHECK (severity IN ('mild','moderate','severe','critical')),
    outcome                TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open','recovered','died')),
    outcome_at             INTEGER,
    itinerary_completed_at INTEGER,
    contacts_completed_at  INTEGER,
    -- When every confirmed contact was under a control measure (set with contacts_completed_at).
    contacts_controlled_at INTEGER,
    created_at             INTEGER NOT NULL,
    created_by             TEXT NOT NULL,
    CHECK (reported_at >= detected_at),
    CHECK ((outcome = 'open') = (outcome_at IS NULL))
);
CREATE INDEX cases_community ON cases(community_code, reported_at);

-- The history of a case: registration, reclassifications and other changes, in order.
CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    note       TEXT,
    actor      TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);

-- A case's places and times over the look-back window: a venue (matched against check-ins),
-- an address, or transport (train number and carriage, flight, ...).
CREATE TABLE itinerary_entries (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    start_at       INTEGER NOT NULL,
    end_at         INTEGER NOT NULL,
    venue_id       INTEGER REFERENCES facilities(id),
    address        TEXT,
    transport_kind TEXT CHECK (transport_kind IN ('train','flight','bus','metro','taxi','ship')),
    transport_no   TEXT,
    carriage       TEXT,
    seat           TEXT,
    note           TEXT,
    created_at     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    CHECK (end_at > start_at),
    CHECK (venue_id IS NOT NULL OR address IS NOT NULL OR transport_no IS NOT NULL),
    CHECK ((transport_kind IS NULL) = (transport_no IS NULL))
);
CREATE INDEX itinerary_entries_case ON itinerary_entries(case_id, start_at);

-- Contacts of a case as the investigator judged them. Candidates from exposure matching are
-- computed, not stored; a confirmed contact is stored with its measure, a dismissed one so
-- that it is not proposed again. `community_code` is the contact's own community.
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    person_id        INTEGER NOT NULL REFERENCES persons(id),
    community_code   TEXT NOT NULL REFERENCES jurisdictions(code),
    degree           TEXT NOT NULL CHECK (degree IN ('close','secondary','space_time')),
    -- For a secondary contact: the close contact through whom they were exposed.
    via_contact_id   INTEGER REFERENCES contacts(id),
    setting          TEXT NOT NULL CHECK (setting IN ('household','work','venue','transport','other')),
    venue_id         INTEGER REFERENCES facilities(id),
    last_exposure_at INTEGER NOT NULL,
    overlap_minutes  INTEGER,
    status           TEXT NOT NULL CHECK (status IN ('confirmed','dismissed')),
    measure_id       INTEGER REFERENCES control_measures(id),
    controlled_at    INTEGER,
    decided_at       INTEGER NOT NULL,
    decided_by       TEXT NOT NULL,
    note             TEXT,
    UNIQUE (case_id, person_id),
    CHECK ((degree = 'secondary') = (via_contact_id IS NOT NULL))
);
CREATE INDEX contacts_person ON contacts(person_id);

-- Transmission links: who infected whom. An infectee has at most one infector (a chain is a
-- forest); cycles are refused by the app.
CREATE TABLE transmission_links (
    id               INTEGER PRIMARY KEY,
    infector_case_id INTEGER NOT NULL REFERENCES cases(id),
    infectee_case_id INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    confidence       TEXT NOT NULL CHECK (confidence IN ('confirmed','probable','possible')),
    setting          TEXT NOT NULL CHECK (setting IN ('household','work','venue','transport','other')),
    note             TEXT,
    created_at       INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    CHECK (infector_case_id <> infectee_case_id)
);
CREATE INDEX transmission_links_infector ON transmission_links(infector_case_id);
