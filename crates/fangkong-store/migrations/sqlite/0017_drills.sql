-- Drills (issue #12): one row per drill run in a sandbox instance. The report is the JSON the
-- app computed when the drill ended (scores by county, daily series for the charts); it is
-- written once, so a report never changes after the drill.
CREATE TABLE drills (
    id            INTEGER PRIMARY KEY,
    scenario_name TEXT NOT NULL,
    title         TEXT NOT NULL,
    title_en      TEXT NOT NULL,
    scenario_text TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    days          INTEGER NOT NULL CHECK (days >= 1),
    status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    day_reached   INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER NOT NULL,
    sim_start_day TEXT NOT NULL,
    finished_at   INTEGER,
    report_json   TEXT,
    created_by    TEXT NOT NULL
);
CREATE INDEX drills_started ON drills (started_at);
