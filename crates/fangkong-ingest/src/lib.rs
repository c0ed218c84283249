//! Exchanged files (CSV, XLSX, NDJSON, GeoJSON) turned into validated domain records, or into
//! the complete list of what is wrong with them.
//!
//! Imports are all or nothing: a caller applies a file only when every row is valid, so a
//! parser here never stops at the first bad row. Each error names the file, the line where
//! the record starts and the field: `persons.csv:118: id_number: check digit is 3,
//! expected X`. Reasons never contain the personal data they are about.
//!
//! This crate is pure. It takes bytes and a file name (used only in messages); it never
//! opens a file, reads the clock or the environment. Whether a record conflicts with the
//! database is for the caller to decide.
//!
//! - [`read_table`] reads CSV, XLSX or NDJSON into a [`Table`] of text cells, and
//!   [`visit_rows`] hands the same rows over one at a time; every record parser is built on
//!   them, so all formats behave identically.
//! - [`parse_jurisdictions`], [`parse_persons`] and [`parse_boundaries_geojson`] make
//!   records; [`parse_samples`] and [`parse_results`] read nucleic-acid testing files of a
//!   whole city, with lenient variants that keep the valid rows; [`parse_venues`] reads
//!   venue lists and [`parse_checkins`] venue check-in feeds, keeping the valid rows.
//! - [`write_csv`] writes an export that Excel opens with Chinese text intact;
//!   [`write_graphml`] and [`write_chain_csv`] export a transmission-chain graph.

pub mod boundaries;
pub mod checkins;
pub mod co_investigation;
pub mod coldchain;
pub mod error;
pub mod export;
pub mod fever;
pub mod graph;
mod identity;
pub mod immunization;
pub mod jurisdictions;
mod ndjson;
pub mod persons;
pub mod policy;
pub mod risk_areas;
pub mod schedules;
pub mod sentinel;
pub mod supplies;
pub mod table;
pub mod testing;
pub mod travel;
mod xlsx;

pub use boundaries::{parse_boundaries_geojson, BoundaryRecord};
pub use checkins::{
    parse_checkins, parse_venues, CheckinBatch, CheckinRecord, VenueKind, VenueRecord,
};
pub use coldchain::{parse_batch_fields, parse_batches, BatchRecord};
pub use error::{FileErrors, RowError};
pub use export::write_csv;
pub use graph::{write_chain_csv, write_graphml, GraphEdge, GraphNode};
pub use jurisdictions::{parse_jurisdictions, JurisdictionRecord};
pub use persons::{parse_person_fields, parse_persons, PersonRecord};
pub use policy::parse_policy;
pub use risk_areas::{parse_risk_areas, RiskAreaRecord};
pub use schedules::{parse_members, MemberRecord};
pub use table::{estimate_rows, read_table, visit_rows, Format, Header, RowRef, RowVisitor, Table};
pub use testing::{
    parse_results, parse_results_lenient, parse_samples, parse_samples_lenient, Outcome,
    ResultRecord, SampleRecord,
};
pub use travel::{parse_travel, parse_travel_fields, TravelRecord, TravelSource};
