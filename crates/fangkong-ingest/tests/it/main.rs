//! Integration tests of fangkong-ingest, one module per capability. Each module has a
//! `check` helper that prints the parse result, so the tests themselves are data compared
//! against `expect!` snapshots (`UPDATE_EXPECT=1 cargo test` refreshes them).

mod boundaries;
mod checkins;
mod corpus;
mod export;
mod graph;
mod jurisdictions;
mod ndjson;
mod no_panic;
mod persons;
mod table;
mod testing;
mod xlsx;

use chrono::NaiveDate;
use fangkong_ingest::{FileErrors, PersonRecord};

/// The date the person tests run on.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).expect("2024-06-01 is a date")
}

/// One line per person record, with every field.
pub(crate) fn show_persons(result: &Result<Vec<PersonRecord>, FileErrors>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(records) => records
            .iter()
            .map(|p| {
                format!(
                    "line {}: {} {} {} | {} | {} {} | phone {} | address {:?} | {} | tags {:?}",
                    p.line,
                    p.document.kind().as_str(),
                    p.document.number(),
                    p.document.nationality(),
                    p.name,
                    p.sex.as_str(),
                    p.birth_date,
                    p.phone.as_ref().map_or("-", |x| x.as_str()),
                    p.address.as_deref().unwrap_or("-"),
                    p.community_code,
                    p.tags,
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
