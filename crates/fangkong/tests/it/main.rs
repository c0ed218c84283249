//! Integration tests of the whole application: the real server on an ephemeral port over a
//! real database (SQLite always, PostgreSQL too when FANGKONG_TEST_DATABASE_URL is set), and
//! the real binary for the command line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod authz;
mod backup;
mod briefing;
mod bulk;
mod cli;
mod co_investigation;
mod co_investigation_web;
mod coldchain;
mod crash;
mod dashboard;
mod drills;
mod federation;
mod fever;
mod immunization;
mod immunization_web;
mod imports;
mod inbound;
mod inbound_web;
mod isolation;
mod isolation_web;
mod jurisdictions;
mod measures;
mod ops;
mod persons;
mod scenario_forecast;
mod security;
mod sentinels;
mod sentinels_web;
mod supplies;
mod supplies_web;
mod testing;
mod testing_web;
mod tracing;
mod tracing_web;
mod web;

/// Valid mainland ID numbers for fixtures (check digits computed per GB 11643).
pub fn id(region: &str, birth: &str, seq: u16) -> String {
    let date = chrono::NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
    fangkong_domain::NationalId::from_parts(region, date, seq)
        .unwrap()
        .to_string()
}
