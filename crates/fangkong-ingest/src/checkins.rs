//! Venues (场所) and venue check-ins (场所码扫码记录): the lists that let an investigation
//! find who was at the same place at the same time as a case.
//!
//! Venue lists are small and edited by hand, so [`parse_venues`] is all or nothing like every
//! other import. Check-ins are a machine feed of millions of rows a day, so
//! [`parse_checkins`] follows the testing samples: it streams the rows
//! ([`crate::visit_rows`]), keeps the valid ones and lists the refused ones with their line
//! and field, and fails as a whole only when the file itself is unusable (unreadable, no
//! header, a required column missing). CSV, XLSX and NDJSON give the same records and
//! errors, and columns may carry their English or Chinese names (`place_code` or `场所码`).
//!
//! This module does not decide whether a venue or person is known to the database, does not
//! merge repeated check-ins and never reads the clock. Reasons never quote a value: a shifted
//! column would put an ID number into any of them.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use fangkong_domain::{NationalId, PlaceCode};

use crate::error::{Collector, FileErrors, RowError};
use crate::identity::national_id_reason;
use crate::table::{read_table_lenient, visit_rows, Header, RowRef, RowVisitor};
use crate::testing::parse_time;

/// The longest venue name, in characters.
pub const MAX_VENUE_NAME_CHARS: usize = 100;
/// The longest venue address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// The kind of a venue, from a fixed vocabulary (场所类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VenueKind {
    Restaurant,
    Supermarket,
    Market,
    Mall,
    Hospital,
    Clinic,
    School,
    Office,
    Factory,
    Station,
    Hotel,
    Entertainment,
    Gym,
    Religious,
    Other,
}

impl VenueKind {
    /// Every kind, in the order they are listed.
    pub const ALL: [VenueKind; 15] = [
        VenueKind::Restaurant,
        VenueKind::Supermarket,
        VenueKind::Market,
        VenueKind::Mall,
        VenueKind::Hospital,
        VenueKind::Clinic,
        VenueKind::School,
        VenueKind::Office,
        VenueKind::Factory,
        VenueKind::Station,
        VenueKind::Hotel,
        VenueKind::Entertainment,
        VenueKind::Gym,
        VenueKind::Religious,
        VenueKind::Other,
    ];

    /// The stable key used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            VenueKind::Restaurant => "restaurant",
            VenueKind::Supermarket => "supermarket",
            VenueKind::Market => "market",
            VenueKind::Mall => "mall",
            VenueKind::Hospital => "hospital",
            VenueKind::Clinic => "clinic",
            VenueKind::School => "school",
            VenueKind::Office => "office",
            VenueKind::Factory => "factory",
            VenueKind::Station => "station",
            VenueKind::Hotel => "hotel",
            VenueKind::Entertainment => "entertainment",
            VenueKind::Gym => "gym",
            VenueKind::Religious => "religious",
            VenueKind::Other => "other",
        }
    }

    /// The Chinese name, also accepted in files.
    pub fn name_zh(self) -> &'static str {
        match self {
            VenueKind::Restaurant => "餐馆",
            VenueKind::Supermarket => "超市",
            VenueKind::Market => "农贸市场",
            VenueKind::Mall => "商场",
            VenueKind::Hospital => "医院",
            VenueKind::Clinic => "诊所",
            VenueKind::School => "学校",
            VenueKind::Office => "写字楼",
            VenueKind::Factory => "工厂",
            VenueKind::Station => "车站",
            VenueKind::Hotel => "宾馆",
            VenueKind::Entertainment => "娱乐场所",
            VenueKind::Gym => "健身场所",
            VenueKind::Religious => "宗教场所",
            VenueKind::Other => "其他",
        }
    }

    /// Parses a key (any case) or a Chinese name; surrounding whitespace is trimmed.
    ///
    /// # Examples
    /// ```
    /// use fangkong_ingest::checkins::VenueKind;
    /// assert_eq!(VenueKind::parse("农贸市场"), Some(VenueKind::Market));
    /// assert_eq!(VenueKind::parse("Gym"), Some(VenueKind::Gym));
    /// assert_eq!(VenueKind::parse("bar"), None);
    /// ```
    pub fn parse(text: &str) -> Option<VenueKind> {
        let text = text.trim();
        VenueKind::ALL
            .into_iter()
            .find(|k| text.eq_ignore_ascii_case(k.as_str()) || text == k.name_zh())
    }

    /// The keys, comma-separated, for messages.
    pub fn keys() -> String {
        VenueKind::ALL.map(VenueKind::as_str).join(", ")
    }
}

impl fmt::Display for VenueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One venue of a list, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    pub place_code: PlaceCode,
    pub name: String,
    pub kind: VenueKind,
    pub address: Option<String>,
    /// The 12-digit community code: as given, which must agree with the place code, or the
    /// place code's community prefix.
    pub community_code: String,
    /// Latitude in degrees (WGS 84 or GCJ-02 as the source uses), −90 to 90.
    pub lat: Option<f64>,
    /// Longitude in degrees, −180 to 180; given together with `lat`.
    pub lon: Option<f64>,
}

/// One check-in at a venue, validated.
///
/// At least one of `national_id` and `person_id` is present; when both are, the caller
/// decides whether they agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    pub national_id: Option<NationalId>,
    /// The platform's person id.
    pub person_id: Option<i64>,
    pub place_code: PlaceCode,
    /// When the person checked in.
    pub time_in: DateTime<Utc>,
    /// When the person left; `None` for an open check-in. Not before `time_in`.
    pub time_out: Option<DateTime<Utc>>,
}

/// The result of reading a check-in feed: the valid rows and the refused ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinBatch {
    /// The file name the caller passed in.
    pub file: String,
    /// The valid rows, in file order.
    pub records: Vec<CheckinRecord>,
    /// The errors of the refused rows (and structural errors of rows), sorted by line.
    pub refused: Vec<RowError>,
}

impl CheckinBatch {
    /// The refused rows as [`FileErrors`], for printing `file:line: field: reason`; `None`
    /// when every row was valid.
    pub fn refused_errors(&self) -> Option<FileErrors> {
        (!self.refused.is_empty()).then(|| FileErrors {
            file: self.file.clone(),
            errors: self.refused.clone(),
        })
    }
}

/// The accepted names of each column, the canonical (English) name first; errors name the
/// canonical one.
const PLACE_CODE: &[&str] = &["place_code", "场所码", "场所编码"];
const VENUE_NAME: &[&str] = &["name", "场所名称"];
const VENUE_KIND: &[&str] = &["kind", "场所类型"];
const ADDRESS: &[&str] = &["address", "地址"];
const COMMUNITY_CODE: &[&str] = &["community_code", "社区编码"];
const LAT: &[&str] = &["lat", "latitude", "纬度"];
const LON: &[&str] = &["lon", "lng", "longitude", "经度"];
const NATIONAL_ID: &[&str] = &["national_id", "id_number", "身份证号", "身份证号码"];
const PERSON_ID: &[&str] = &["person_id", "人员编号"];
const TIME_IN: &[&str] = &["time_in", "进入时间"];
const TIME_OUT: &[&str] = &["time_out", "离开时间"];

/// Finds a column under any of its names; two names of one column is an error.
fn column(header: &Header, errors: &mut Collector, names: &[&str]) -> Option<usize> {
    let mut found: Option<(usize, &str)> = None;
    for name in names {
        if let Some(idx) = header.column(name) {
            match found {
                None => found = Some((idx, name)),
                Some((_, first)) => errors.push(
                    header.line(),
                    names[0],
                    format!("column given twice, as {first} and {name}"),
                ),
            }
        }
    }
    found.map(|(idx, _)| idx)
}

/// Finds a required column, recording an error naming its accepted names when missing.
fn required(header: &Header, errors: &mut Collector, names: &[&str]) -> Option<usize> {
    let idx = column(header, errors, names);
    if idx.is_none() {
        let reason = match names {
            [_, rest @ ..] if !rest.is_empty() => {
                format!("required column is missing (or {})", rest.join(", "))
            }
            _ => "required column is missing".to_string(),
        };
        errors.push(header.line(), names[0], reason);
    }
    idx
}

/// Parses a venue list from CSV, XLSX or NDJSON bytes; all or nothing.
///
/// Columns (English or Chinese name):
/// - `place_code` / `场所码` (required): `P` and 16 digits ([`PlaceCode::parse`]); each
///   code once per file.
/// - `name` / `场所名称` (required): up to [`MAX_VENUE_NAME_CHARS`] characters.
/// - `kind` / `场所类型` (required): a [`VenueKind`] key or Chinese name.
/// - `address` / `地址`: up to [`MAX_ADDRESS_CHARS`] characters.
/// - `community_code` / `社区编码`: 12 digits, the community prefix of the place code; taken
///   from the place code when empty.
/// - `lat` / `纬度` and `lon` / `经度`: decimal degrees, both or neither.
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`].
///
/// # Examples
/// ```
/// let csv = "场所码,场所名称,场所类型\nP4117020010010001,老地方餐馆,餐馆\n";
/// let venues = fangkong_ingest::parse_venues("venues.csv", csv.as_bytes()).unwrap();
/// assert_eq!(venues[0].community_code, "411702001001");
/// assert_eq!(venues[0].kind.as_str(), "restaurant");
/// ```
pub fn parse_venues(file_name: &str, bytes: &[u8]) -> Result<Vec<VenueRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    let header = table.header();
    let mut errors = Collector::new(file_name);
    let place_code = required(header, &mut errors, PLACE_CODE);
    let name = required(header, &mut errors, VENUE_NAME);
    let kind = required(header, &mut errors, VENUE_KIND);
    let address = column(header, &mut errors, ADDRESS);
    let community_code = column(header, &mut errors, COMMUNITY_CODE);
    let lat = column(header, &mut errors, LAT);
    let lon = column(header, &mut errors, LON);
    let (Some(place_code), Some(name), Some(kind), 0) = (place_code, name, kind, errors.len())
    else {
        return errors.finish(Vec::new());
    };
    errors.extend(structural);
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let before = errors.len();
        let code = read_place_code(&mut errors, line, row.cell(place_code));
        let venue_name = read_text(
            &mut errors,
            line,
            "name",
            row.cell(name),
            MAX_VENUE_NAME_CHARS,
        );
        let venue_kind = match row.cell(kind) {
            "" => {
                errors.push(line, "kind", "is required");
                None
            }
            text => {
                let parsed = VenueKind::parse(text);
                if parsed.is_none() {
                    errors.push(
                        line,
                        "kind",
                        format!(
                            "unknown venue kind, expected one of {} or their Chinese names",
                            VenueKind::keys()
                        ),
                    );
                }
                parsed
            }
        };
        let venue_address = row
            .cell_value(address)
            .and_then(|text| read_text(&mut errors, line, "address", text, MAX_ADDRESS_CHARS));
        let given_community = row.cell_value(community_code);
        if let Some(text) = given_community {
            if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(line, "community_code", "expected 12 digits");
            } else if let Some(code) = &code {
                if code.community_code() != text {
                    errors.push(
                        line,
                        "community_code",
                        "differs from the community in place_code (its digits 1-12)",
                    );
                }
            }
        }
        let latitude = row
            .cell_value(lat)
            .and_then(|text| read_degrees(&mut errors, line, "lat", text, 90.0));
        let longitude = row
            .cell_value(lon)
            .and_then(|text| read_degrees(&mut errors, line, "lon", text, 180.0));
        match (row.cell_value(lat), row.cell_value(lon)) {
            (Some(_), None) => errors.push(line, "lon", "is required with lat"),
            (None, Some(_)) => errors.push(line, "lat", "is required with lon"),
            _ => {}
        }
        if let Some(code) = &code {
            if let Some(first) = first_line.get(code.as_str()) {
                errors.push(
                    line,
                    "place_code",
                    format!("the same venue is on line {first}"),
                );
            } else {
                first_line.insert(code.as_str().to_string(), line);
            }
        }
        if errors.len() != before {
            continue;
        }
        let (Some(code), Some(venue_name), Some(venue_kind)) = (code, venue_name, venue_kind)
        else {
            continue;
        };
        records.push(VenueRecord {
            line,
            community_code: code.community_code().to_string(),
            place_code: code,
            name: venue_name.to_string(),
            kind: venue_kind,
            address: venue_address.map(str::to_string),
            lat: latitude,
            lon: longitude,
        });
    }
    errors.finish(records)
}

/// Parses a check-in feed from CSV, XLSX or NDJSON bytes, keeping the valid rows.
///
/// Columns (English or Chinese name):
/// - `national_id` / `id_number` / `身份证号`: a mainland resident ID number, and/or
///   `person_id` / `人员编号`: the platform's person id (a whole number above 0). A file
///   needs at least one of the two columns, and each row a value in at least one.
/// - `place_code` / `场所码` (required): `P` and 16 digits ([`PlaceCode::parse`]).
/// - `time_in` / `进入时间` (required) and `time_out` / `离开时间` (optional, empty for an
///   open check-in): times as [`parse_time`] reads them; `time_out` not before `time_in`.
///
/// Rows are returned as given, in file order: a check-in sent twice is two records, for the
/// store to merge.
///
/// # Errors
/// Only problems of the whole file: unreadable, no header, a repeated header name, a column
/// under two of its names, or a missing required column. Bad rows are in
/// [`CheckinBatch::refused`], one error per bad value, naming the line and field.
///
/// # Examples
/// ```
/// let csv = "身份证号,场所码,进入时间,离开时间\n\
///            11010519491231002X,P4117020010010001,2026-11-30 12:00,2026-11-30 11:00\n\
///            11010519491231002X,P4117020010010001,2026-11-30 12:00,\n";
/// let batch = fangkong_ingest::parse_checkins("scans.csv", csv.as_bytes()).unwrap();
/// assert_eq!(batch.records.len(), 1);
/// assert_eq!(batch.records[0].line, 3);
/// assert_eq!(
///     batch.refused_errors().unwrap().to_string(),
///     "scans.csv:2: time_out: is before time_in"
/// );
/// ```
pub fn parse_checkins(file_name: &str, bytes: &[u8]) -> Result<CheckinBatch, FileErrors> {
    let mut reader = CheckinReader {
        columns: None,
        errors: Collector::new(file_name),
        records: Vec::new(),
    };
    let structural = visit_rows(file_name, bytes, &mut reader)?;
    reader.errors.extend(structural);
    Ok(CheckinBatch {
        file: file_name.to_string(),
        records: reader.records,
        refused: reader.errors.into_sorted(),
    })
}

struct CheckinColumns {
    national_id: Option<usize>,
    person_id: Option<usize>,
    place_code: usize,
    time_in: usize,
    time_out: Option<usize>,
}

struct CheckinReader {
    columns: Option<CheckinColumns>,
    errors: Collector,
    records: Vec<CheckinRecord>,
}

impl RowVisitor for CheckinReader {
    fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
        let mut errors = Collector::new(header.file_name());
        let national_id = column(header, &mut errors, NATIONAL_ID);
        let person_id = column(header, &mut errors, PERSON_ID);
        if national_id.is_none() && person_id.is_none() {
            errors.push(
                header.line(),
                "national_id",
                "required column is missing (or id_number, 身份证号, 身份证号码; or person_id, 人员编号)",
            );
        }
        let place_code = required(header, &mut errors, PLACE_CODE);
        let time_in = required(header, &mut errors, TIME_IN);
        let time_out = column(header, &mut errors, TIME_OUT);
        if let (Some(place_code), Some(time_in)) = (place_code, time_in) {
            self.columns = Some(CheckinColumns {
                national_id,
                person_id,
                place_code,
                time_in,
                time_out,
            });
        }
        errors.finish(())
    }

    fn reserve(&mut self, rows: usize) {
        self.records.reserve(rows);
    }

    fn row(&mut self, row: RowRef<'_>) {
        let Some(columns) = &self.columns else {
            return;
        };
        let errors = &mut self.errors;
        let line = row.line();
        let before = errors.len();
        let national_id =
            row.cell_value(columns.national_id)
                .and_then(|text| match NationalId::parse(text) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        errors.push(line, "national_id", national_id_reason(&e));
                        None
                    }
                });
        let person_id = row
            .cell_value(columns.person_id)
            .and_then(|text| read_person_id(errors, line, text));
        if row.cell_value(columns.national_id).is_none()
            && row.cell_value(columns.person_id).is_none()
        {
            let (field, reason) = match (columns.national_id, columns.person_id) {
                (Some(_), Some(_)) => ("national_id", "is required (or person_id)"),
                (Some(_), None) => ("national_id", "is required"),
                _ => ("person_id", "is required"),
            };
            errors.push(line, field, reason);
        }
        let place_code = read_place_code(errors, line, row.cell(columns.place_code));
        let time_in = match row.cell(columns.time_in) {
            "" => {
                errors.push(line, "time_in", "is required");
                None
            }
            text => read_time(errors, line, "time_in", text),
        };
        let time_out = row
            .cell_value(columns.time_out)
            .and_then(|text| read_time(errors, line, "time_out", text));
        if let (Some(time_in), Some(time_out)) = (time_in, time_out) {
            if time_out < time_in {
                errors.push(line, "time_out", "is before time_in");
            }
        }
        if errors.len() != before {
            return;
        }
        let (Some(place_code), Some(time_in)) = (place_code, time_in) else {
            return;
        };
        self.records.push(CheckinRecord {
            line,
            national_id,
            person_id,
            place_code,
            time_in,
            time_out,
        });
    }
}

fn read_place_code(errors: &mut Collector, line: u64, text: &str) -> Option<PlaceCode> {
    if text.is_empty() {
        errors.push(line, "place_code", "is required");
        return None;
    }
    match PlaceCode::parse(text) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(line, "place_code", e.to_string());
            None
        }
    }
}

fn read_person_id(errors: &mut Collector, line: u64, text: &str) -> Option<i64> {
    let id = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<i64>().ok())
        .flatten()
        .filter(|&id| id > 0);
    if id.is_none() {
        errors.push(
            line,
            "person_id",
            "expected a person id (a whole number above 0)",
        );
    }
    id
}

fn read_time(
    errors: &mut Collector,
    line: u64,
    field: &'static str,
    text: &str,
) -> Option<DateTime<Utc>> {
    match parse_time(text) {
        Ok(time) => Some(time),
        Err(e) => {
            errors.push(line, field, e.to_string());
            None
        }
    }
}

/// A required or given optional text of at most `max` characters, without control
/// characters.
fn read_text<'a>(
    errors: &mut Collector,
    line: u64,
    field: &'static str,
    text: &'a str,
    max: usize,
) -> Option<&'a str> {
    let n = text.chars().count();
    let reason = if text.is_empty() {
        "is required".to_string()
    } else if n > max {
        format!("has {n} characters, at most {max} are allowed")
    } else if text.chars().any(char::is_control) {
        "contains a control character such as a line break".to_string()
    } else {
        return Some(text);
    };
    errors.push(line, field, reason);
    None
}

/// Decimal degrees from `-limit` to `limit`.
fn read_degrees(
    errors: &mut Collector,
    line: u64,
    field: &'static str,
    text: &str,
    limit: f64,
) -> Option<f64> {
    let plain = text
        .strip_prefix('-')
        .unwrap_or(text)
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    let value = plain
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|v| (-limit..=limit).contains(v));
    if value.is_none() {
        errors.push(
            line,
            field,
            format!("expected decimal degrees from -{limit} to {limit}"),
        );
    }
    value
}
