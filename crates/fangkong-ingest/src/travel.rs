//! Traveller lists (来驻返驻人员名单) as checkpoints, communities and upper levels exchange
//! them: CSV or XLSX, one arrival per row, the person's identity in the columns of a person
//! list.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use fangkong_domain::policy::Vaccination;
use fangkong_domain::Origin;

use crate::error::{Collector, FileErrors, RowError, ROW_FIELD};
use crate::persons::{check_header, parse_date, read_person, PersonRecord};
use crate::table::{read_table_lenient, RowRef, Table};
use crate::testing::parse_time;

/// Where a travel entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TravelSource {
    /// The person's own report (a form).
    SelfReport,
    /// A checkpoint at a station, airport or road.
    Checkpoint,
    /// A list imported from a file.
    FileImport,
    /// Pushed down by an upper level (province, city).
    UpperPush,
}

impl TravelSource {
    /// Every source.
    pub const ALL: [TravelSource; 4] = [
        TravelSource::SelfReport,
        TravelSource::Checkpoint,
        TravelSource::FileImport,
        TravelSource::UpperPush,
    ];

    /// The stable key, e.g. `self_report`.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelSource::SelfReport => "self_report",
            TravelSource::Checkpoint => "checkpoint",
            TravelSource::FileImport => "file_import",
            TravelSource::UpperPush => "upper_push",
        }
    }

    /// The Chinese name, e.g. `自主申报`.
    pub fn name_zh(self) -> &'static str {
        match self {
            TravelSource::SelfReport => "自主申报",
            TravelSource::Checkpoint => "卡口登记",
            TravelSource::FileImport => "名单导入",
            TravelSource::UpperPush => "上级推送",
        }
    }

    /// Parses a key or a Chinese name.
    pub fn parse(text: &str) -> Option<TravelSource> {
        let text = text.trim();
        TravelSource::ALL
            .into_iter()
            .find(|s| s.as_str() == text || s.name_zh() == text)
    }
}

/// One arrival, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TravelRecord {
    pub line: u64,
    /// The traveller; `community_code` is the destination community, where they stay.
    pub person: PersonRecord,
    pub origin: Origin,
    /// A street address or building at the origin (matched against designated sets).
    pub origin_address: Option<String>,
    /// Flight, train and carriage, road.
    pub route: Option<String>,
    /// The day the traveller left the origin.
    pub departed_on: Option<NaiveDate>,
    pub arrived_at: DateTime<Utc>,
    pub source: Option<TravelSource>,
    pub vaccination: Option<Vaccination>,
    pub occupation: Option<String>,
}

impl TravelRecord {
    /// The key under which repeated reports of one arrival merge: document, origin and
    /// arrival day (China Standard Time).
    pub fn merge_key(&self) -> (String, String, NaiveDate) {
        (
            self.person.document.index_text(),
            self.origin.as_key(),
            china_day(self.arrived_at),
        )
    }
}

/// The China Standard Time calendar day of an instant.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::TimeDelta::hours(8)).date_naive()
}

/// Longest text of a route, address or occupation.
const MAX_TEXT_CHARS: usize = 200;

/// Parses a traveller list from CSV or XLSX bytes; all or nothing.
///
/// Columns:
/// - the person, as [`crate::parse_persons`] reads them (`name`, `id_number` or
///   `document_kind` + `document_number` + `nationality`, `sex`, `birth_date`, `phone`,
///   `address`, `tags`); `community_code` (required) is the destination community;
/// - `origin` (required): a jurisdiction code of any level (`110105`, a district of
///   Beijing) or an ISO 3166-1 country code (`JP`, `KOR`);
/// - `arrived_at` (required): a time as [`parse_time`] reads it, or a date alone (00:00);
///   not after `now`;
/// - `departed_on`: the day the traveller left the origin, not after the arrival;
/// - `origin_address`, `route`, `occupation`: text;
/// - `vaccination`: `unvaccinated`, `partial`, `full`, `booster` or the Chinese names;
/// - `source`: `self_report`, `checkpoint`, `file_import`, `upper_push` or the Chinese
///   names (the caller's default when empty).
///
/// Rows for the same document, origin and arrival day are one arrival reported twice;
/// they are all returned and merged when stored.
///
/// # Errors
/// Every bad value of every row, and every structural error of [`crate::read_table`].
///
/// # Examples
/// ```
/// use chrono::{TimeZone, Utc};
/// let csv = "name,id_number,community_code,origin,arrived_at\n\
///            张三,410102199003071230,411702001001,JP,2026-12-01 10:00\n";
/// let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
/// let err = fangkong_ingest::parse_travel("list.csv", csv.as_bytes(), now).unwrap_err();
/// assert_eq!(err.to_string(), "list.csv:2: arrived_at: is in the future");
/// ```
pub fn parse_travel(
    file_name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<TravelRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let records = read_all(&table, &mut errors, now)?;
    errors.finish(records)
}

/// Validates one arrival given as named values (an API request or a form) by the same rules
/// as a file row.
///
/// # Errors
/// Every bad value, each as a [`RowError`] on line 1.
pub fn parse_travel_fields(
    fields: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Result<TravelRecord, Vec<RowError>> {
    let table = Table::from_fields("request", fields);
    let mut errors = Collector::new("request");
    let records = read_all(&table, &mut errors, now).map_err(|e| e.errors)?;
    match errors.finish(records) {
        Err(e) => Err(e.errors),
        Ok(mut records) => records
            .pop()
            .ok_or_else(|| vec![RowError::new(1, ROW_FIELD, "is empty")]),
    }
}

fn read_all(
    table: &Table,
    errors: &mut Collector,
    now: DateTime<Utc>,
) -> Result<Vec<TravelRecord>, FileErrors> {
    let identity = check_header(table)?;
    table.require(&["origin", "arrived_at"])?;
    let today = china_day(now);
    let mut records = Vec::with_capacity(table.len());
    // A document's birth data must agree between its rows; other repeats are arrivals.
    let mut first_line: HashMap<String, (u64, String)> = HashMap::new();
    for row in table.rows() {
        let person = read_person(errors, &row, &identity, today);
        let Some(travel) = read_travel(errors, &row, now) else {
            continue;
        };
        let Some(person) = person else { continue };
        let key = person.document.index_text();
        let name = person.name.clone();
        match first_line.get(&key) {
            Some((line, first_name)) if *first_name != name => {
                errors.push(
                    row.line(),
                    "name",
                    format!("differs from line {line} for the same document"),
                );
                continue;
            }
            Some(_) => {}
            None => {
                first_line.insert(key, (row.line(), name));
            }
        }
        records.push(TravelRecord {
            line: row.line(),
            person,
            origin: travel.origin,
            origin_address: travel.origin_address,
            route: travel.route,
            departed_on: travel.departed_on,
            arrived_at: travel.arrived_at,
            source: travel.source,
            vaccination: travel.vaccination,
            occupation: travel.occupation,
        });
    }
    Ok(records)
}

/// The travel columns of a row.
struct TravelParts {
    origin: Origin,
    origin_address: Option<String>,
    route: Option<String>,
    departed_on: Option<NaiveDate>,
    arrived_at: DateTime<Utc>,
    source: Option<TravelSource>,
    vaccination: Option<Vaccination>,
    occupation: Option<String>,
}

/// Validates the travel columns of a row, recording every bad value; `None` if any was bad.
fn read_travel(
    errors: &mut Collector,
    row: &RowRef<'_>,
    now: DateTime<Utc>,
) -> Option<TravelParts> {
    let line = row.line();
    let before = errors.len();
    let origin = match row.value("origin") {
        None => {
            errors.push(line, "origin", "is required");
            None
        }
        Some(text) => match Origin::parse(text) {
            Ok(origin) => Some(origin),
            Err(reason) => {
                errors.push(line, "origin", reason);
                None
            }
        },
    };
    let arrived_at = match row.value("arrived_at") {
        None => {
            errors.push(line, "arrived_at", "is required");
            None
        }
        Some(text) => {
            let text = if text.len() == 10 {
                format!("{text} 00:00")
            } else {
                text.to_string()
            };
            match parse_time(&text) {
                Ok(at) if at > now => {
                    errors.push(line, "arrived_at", "is in the future");
                    None
                }
                Ok(at) => Some(at),
                Err(e) => {
                    errors.push(line, "arrived_at", e.to_string());
                    None
                }
            }
        }
    };
    let departed_on = match row.value("departed_on") {
        None => None,
        Some(text) => match parse_date(text) {
            None => {
                errors.push(line, "departed_on", "expected a date as YYYY-MM-DD");
                None
            }
            Some(day) => {
                if let Some(arrived) = arrived_at {
                    if day > china_day(arrived) {
                        errors.push(line, "departed_on", "is after the arrival");
                    }
                }
                Some(day)
            }
        },
    };
    let vaccination = match row.value("vaccination") {
        None => None,
        Some(text) => {
            let found = Vaccination::parse(&text.to_lowercase()).or_else(|| {
                Vaccination::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name_zh() == text)
            });
            if found.is_none() {
                errors.push(
                    line,
                    "vaccination",
                    format!("unknown status; expected one of {}", Vaccination::keys()),
                );
            }
            found
        }
    };
    let source = match row.value("source") {
        None => None,
        Some(text) => {
            let found = TravelSource::parse(text);
            if found.is_none() {
                errors.push(
                    line,
                    "source",
                    "expected self_report, checkpoint, file_import or upper_push",
                );
            }
            found
        }
    };
    let mut text = |field: &str| {
        let value = row.value(field)?;
        if value.chars().count() > MAX_TEXT_CHARS {
            errors.push(
                line,
                field,
                format!("has more than {MAX_TEXT_CHARS} characters"),
            );
        }
        Some(value.to_string())
    };
    let origin_address = text("origin_address");
    let route = text("route");
    let occupation = text("occupation");
    if errors.len() != before {
        return None;
    }
    Some(TravelParts {
        origin: origin?,
        origin_address,
        route,
        departed_on,
        arrived_at: arrived_at?,
        source,
        vaccination,
        occupation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()
    }

    #[test]
    fn every_bad_value_is_named_and_nothing_is_returned() {
        let csv = "name,id_number,community_code,origin,departed_on,arrived_at,vaccination,source\n\
                   张三,410102199003071230,411702001001,110105,2026-11-28,2026-11-29 08:00,full,checkpoint\n\
                   李四,410102199003071230,411702001001,JP,,2026-11-29 09:00,,\n\
                   王五,410102198001011234,411702001001,XX,2026-12-01,2026-11-29,purple,mail\n\
                   赵六,41010219800101123X,411702001001,CN,,2026-12-01 09:00,,\n";
        let errors = parse_travel("list.csv", csv.as_bytes(), now()).unwrap_err();
        expect_test::expect![[r#"
            list.csv:3: name: differs from line 2 for the same document
            list.csv:4: id_number: check digit is 4, expected X
            list.csv:4: origin: "XX" is not an ISO 3166-1 country code
            list.csv:4: departed_on: is after the arrival
            list.csv:4: vaccination: unknown status; expected one of unvaccinated, partial, full, booster
            list.csv:4: source: expected self_report, checkpoint, file_import or upper_push
            list.csv:5: origin: a place in China is named by its jurisdiction code
            list.csv:5: arrived_at: is in the future"#]]
        .assert_eq(&errors.to_string());
    }

    #[test]
    fn a_good_row_reads_whole() {
        let csv = "name,id_number,community_code,origin,origin_address,route,departed_on,arrived_at,vaccination,occupation,source\n\
                   张三,410102199003071230,411702001001,jpn,,NH955,2026/11/28,2026-11-29 08:30,已加强免疫,medical,上级推送\n\
                   张三,410102199003071230,411702001001,JP,,,,2026-11-29 20:00,,,\n";
        let got = parse_travel("list.csv", csv.as_bytes(), now()).unwrap();
        assert_eq!(got.len(), 2);
        let r = &got[0];
        assert_eq!(r.origin.as_key(), "JP");
        assert_eq!(r.route.as_deref(), Some("NH955"));
        assert_eq!(r.departed_on, NaiveDate::from_ymd_opt(2026, 11, 28));
        assert_eq!(r.arrived_at.to_rfc3339(), "2026-11-29T00:30:00+00:00");
        assert_eq!(r.vaccination, Some(Vaccination::Booster));
        assert_eq!(r.source, Some(TravelSource::UpperPush));
        assert_eq!(r.person.community_code.as_str(), "411702001001");
        // The second row is the same arrival reported again.
        assert_eq!(got[1].merge_key(), r.merge_key());
    }
}
