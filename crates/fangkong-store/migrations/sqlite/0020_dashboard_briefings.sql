-- The command dashboard and the daily briefing (sqlite). Keep in step with
-- postgres/0020_dashboard_briefings.sql.

-- Daily briefings (日报) as generated: one per jurisdiction and day, its figures as JSON (the
-- briefing as it stood when generated, so a past briefing never changes when the data
-- behind it does). Generating the day again replaces that day's briefing and counts the
-- revision; past days are kept.
CREATE TABLE daily_briefings (
    id                INTEGER PRIMARY KEY,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    day               TEXT NOT NULL,
    revision          INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    generated_at      INTEGER NOT NULL,
    generated_by      TEXT NOT NULL,
    figures           TEXT NOT NULL,
    UNIQUE (jurisdiction_code, day)
);
CREATE INDEX daily_briefings_day ON daily_briefings(day);

-- The dashboard counts confirmed contacts by where they live.
CREATE INDEX contacts_community ON contacts(community_code, status);
