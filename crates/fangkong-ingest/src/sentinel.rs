//! Sentinel daily-report files (CSV or XLSX, one count per row): `sentinel_id`, `day`
//! (`YYYY-MM-DD`), `indicator` (a key such as `fever_medicine_sales`, or its Chinese name)
//! and `count`.
//!
//! The same checks serve a count entered in a form or sent as JSON ([`parse_indicator`],
//! [`parse_day`], [`parse_count`]), so a value is refused with the same words whichever way
//! it arrives. Whether the sentinel exists, lies in the sender's jurisdiction and reports the
//! indicator, and whether the day is in the future, is for the caller to decide.

use std::collections::HashMap;

use chrono::NaiveDate;
use fangkong_domain::Indicator;

use crate::error::{Collector, FileErrors};
use crate::table::read_table_lenient;

/// The largest daily count accepted (a typing error beyond it is likelier than a real count).
pub const MAX_COUNT: u32 = 1_000_000;

/// One row of a sentinel report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelReportRecord {
    /// The line where the row starts.
    pub line: u64,
    pub sentinel_id: i64,
    pub day: NaiveDate,
    pub indicator: Indicator,
    pub count: u32,
}

/// Parses an indicator by key or Chinese name.
///
/// # Errors
/// The reason, listing the accepted keys.
pub fn parse_indicator(text: &str) -> Result<Indicator, String> {
    let t = text.trim();
    Indicator::parse(t)
        .or_else(|| Indicator::ALL.iter().copied().find(|i| i.name_zh() == t))
        .ok_or_else(|| format!("unknown indicator; expected one of {}", Indicator::keys()))
}

/// Parses a reported day, `YYYY-MM-DD`.
///
/// # Errors
/// The reason.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "expected YYYY-MM-DD".into())
}

/// Parses a count: a whole number from 0 to [`MAX_COUNT`].
///
/// # Errors
/// The reason.
pub fn parse_count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= MAX_COUNT => Ok(n),
        Ok(_) => Err(format!("must be at most {MAX_COUNT}")),
        Err(_) => Err("expected a whole number of at least 0".into()),
    }
}

/// Reads a sentinel report file. Every bad value is reported with its line and field; a key
/// (sentinel, day, indicator) given twice in the file is refused at its second line.
///
/// # Errors
/// Every error of the file, or a whole-file error when no table can be read or a required
/// column is missing.
pub fn parse_sentinel_reports(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<SentinelReportRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&["sentinel_id", "day", "indicator", "count"])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<(i64, NaiveDate, Indicator), u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let sentinel_id = match row.value("sentinel_id").map(str::parse::<i64>) {
            None => {
                errors.push(line, "sentinel_id", "is required");
                None
            }
            Some(Ok(id)) if id > 0 => Some(id),
            Some(_) => {
                errors.push(
                    line,
                    "sentinel_id",
                    "must be a facility id (a whole number)",
                );
                None
            }
        };
        let mut field = |name: &str| match row.value(name) {
            None => {
                errors.push(line, name, "is required");
                None
            }
            Some(text) => Some(text),
        };
        let day = field("day");
        let indicator = field("indicator");
        let count = field("count");
        let day = day.and_then(|t| parse_day(t).map_err(|e| errors.push(line, "day", e)).ok());
        let indicator = indicator.and_then(|t| {
            parse_indicator(t)
                .map_err(|e| errors.push(line, "indicator", e))
                .ok()
        });
        let count = count.and_then(|t| {
            parse_count(t)
                .map_err(|e| errors.push(line, "count", e))
                .ok()
        });
        if let (Some(sentinel_id), Some(day), Some(indicator), Some(count)) =
            (sentinel_id, day, indicator, count)
        {
            if let Some(first) = seen.insert((sentinel_id, day, indicator), line) {
                errors.push(
                    line,
                    "indicator",
                    format!("repeats the count of line {first} for the same sentinel and day"),
                );
                continue;
            }
            records.push(SentinelReportRecord {
                line,
                sentinel_id,
                day,
                indicator,
                count,
            });
        }
    }
    errors.finish(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_names_every_bad_value() {
        let good = "sentinel_id,day,indicator,count\n7,2026-11-29,fever_medicine_sales,12\n\
                    7,2026-11-29,退热药销售数,12\n";
        let e = parse_sentinel_reports("r.csv", good.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv:3: indicator: repeats the count of line 2 for the same sentinel and day"
        );
        let ok = "sentinel_id,day,indicator,count\n7,2026-11-29,fever_medicine_sales,12\n\
                  7,2026-11-29,抗病毒药销售数,0\n";
        let rows = parse_sentinel_reports("r.csv", ok.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].indicator, Indicator::AntiviralSales);
        assert_eq!((rows[1].line, rows[1].count), (3, 0));

        let bad = "sentinel_id,day,indicator,count\nx,2026-11-29,visits,1\n\
                   7,2026-13-01,sneezes,-1\n8,,visits,2000000\n";
        let e = parse_sentinel_reports("bad.csv", bad.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad.csv:2: sentinel_id: must be a facility id (a whole number)\n\
             bad.csv:3: day: expected YYYY-MM-DD\n\
             bad.csv:3: indicator: unknown indicator; expected one of visits, fever_patients, \
             positive_tests, fever_medicine_sales, cough_medicine_sales, antibiotic_sales, \
             antiviral_sales, fever_consultations, respiratory_consultations, absences, \
             illness_absences, fever_absences, fever_staff, positive_samples, fever_travellers, \
             health_code_abnormal, fever_guests, fever_residents, respiratory_residents, \
             fever_employees\n\
             bad.csv:3: count: expected a whole number of at least 0\n\
             bad.csv:4: day: is required\n\
             bad.csv:4: count: must be at most 1000000"
        );
        let missing = "sentinel_id,day,count\n7,2026-11-29,1\n";
        assert!(parse_sentinel_reports("m.csv", missing.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("indicator"));
    }
}
