-- Scenario forecasts (sqlite). Keep in step with postgres/0021_scenario_forecasts.sql.

-- An ensemble run of the outbreak simulator from the platform's state on `as_of` (issue
-- #12): counts only, no personal data. The result is the app's JSON (bands of cases,
-- admissions, quarantine and supply use by day and county). The latest run of a
-- jurisdiction, when fresh, feeds the isolation, treatment and supplies forecasts.
CREATE TABLE scenario_forecasts (
    id                INTEGER PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    as_of             TEXT NOT NULL,
    horizon_days      INTEGER NOT NULL CHECK (horizon_days BETWEEN 14 AND 30),
    members           INTEGER NOT NULL CHECK (members BETWEEN 1 AND 100),
    seed              INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL,
    result            TEXT NOT NULL
);
CREATE INDEX scenario_forecasts_latest ON scenario_forecasts(jurisdiction_code, created_at);
