//! Jurisdiction lists: codes, names and optional age-band populations.
//!
//! The hierarchy is loaded from the National Bureau of Statistics division files
//! (`code,name,provinceCode,...`) or from a county's own list with `parent_code` and
//! populations for coverage denominators. This module validates each row on its own and
//! against the other rows of the same file; whether a code's parent exists in the database
//! is for the caller, which sees every file of an import.

use std::collections::HashMap;

use fangkong_domain::JurisdictionCode;

use crate::error::{Collector, FileErrors};
use crate::table::{read_table_lenient, RowRef, Table};

/// The population columns, one per [`fangkong_domain::AgeBand`] in `AgeBand::ALL` order.
pub const POPULATION_COLUMNS: [&str; 4] = ["pop_0_14", "pop_15_59", "pop_60_79", "pop_80_plus"];
/// The optional total population column, checked against the sum of the bands.
pub const TOTAL_COLUMN: &str = "population";

/// One jurisdiction row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JurisdictionRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    /// The validated code; its length gives the level.
    pub code: JurisdictionCode,
    /// The name, trimmed, not empty.
    pub name: String,
    /// Population per age band in `AgeBand::ALL` order, when the file gives it.
    pub population: Option<[u64; 4]>,
}

/// Parses a jurisdiction list from CSV or XLSX bytes.
///
/// Required columns: `code`, `name`. Optional: `parent_code`, which must be the code's
/// natural parent ([`JurisdictionCode::parent`]); the four [`POPULATION_COLUMNS`] (all or
/// none, non-negative integers); and [`TOTAL_COLUMN`], which must equal the bands' sum.
/// Other columns are ignored, so the National Bureau of Statistics division files
/// (`code,name,areaCode,provinceCode,cityCode`) load as they are.
///
/// # Errors
/// Every bad row: a missing or invalid code, an empty name, a code repeated within the file
/// (naming the earlier line), a `parent_code` that is not the code's parent, a bad or
/// partial population, and every structural error of [`crate::read_table`].
///
/// # Examples
/// ```
/// let csv = "code,name,provinceCode\n4101,\"郑州市\",41\n4101,\"重复\",41\n";
/// let err = fangkong_ingest::parse_jurisdictions("cities.csv", csv.as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), "cities.csv:3: code: repeats line 2");
/// ```
pub fn parse_jurisdictions(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<JurisdictionRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    check_header(&table)?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<JurisdictionCode, u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let code = required_code(&mut errors, &row, "code");
        let name = row.value("name");
        if name.is_none() {
            errors.push(line, "name", "is required");
        }
        if let (Some(code), Some(parent)) = (&code, row.value("parent_code")) {
            check_parent(&mut errors, line, code, parent);
        }
        let population = read_population(&mut errors, &row);
        let Some(code) = code else { continue };
        if let Some(first) = seen.get(&code) {
            errors.push(line, "code", format!("repeats line {first}"));
            continue;
        }
        seen.insert(code.clone(), line);
        if let (Some(name), Ok(population)) = (name, population) {
            records.push(JurisdictionRecord {
                line,
                code,
                name: name.to_string(),
                population,
            });
        }
    }
    errors.finish(records)
}

/// The jurisdiction code in `column` of a row, or `None` with an error pushed when it is
/// empty or not a code.
pub(crate) fn required_code(
    errors: &mut Collector,
    row: &RowRef<'_>,
    column: &str,
) -> Option<JurisdictionCode> {
    let line = row.line();
    match row.value(column).map(JurisdictionCode::parse) {
        None => {
            errors.push(line, column, "is required");
            None
        }
        Some(Err(e)) => {
            errors.push(line, column, e.to_string());
            None
        }
        Some(Ok(code)) => Some(code),
    }
}

/// Required columns, and population columns that only make sense together.
fn check_header(table: &Table) -> Result<(), FileErrors> {
    let mut errors = Collector::new(table.file_name());
    if let Err(e) = table.require(&["code", "name"]) {
        errors.extend(e.errors);
    }
    let present = POPULATION_COLUMNS
        .iter()
        .filter(|c| table.column(c).is_some())
        .count();
    if present > 0 {
        for column in POPULATION_COLUMNS {
            if table.column(column).is_none() {
                errors.push(
                    table.header_line(),
                    column,
                    "required column is missing: the age-band columns come together",
                );
            }
        }
    } else if table.column(TOTAL_COLUMN).is_some() {
        errors.push(
            table.header_line(),
            TOTAL_COLUMN,
            "needs the age-band columns pop_0_14, pop_15_59, pop_60_79 and pop_80_plus",
        );
    }
    errors.finish(())
}

fn check_parent(errors: &mut Collector, line: u64, code: &JurisdictionCode, parent: &str) {
    match (JurisdictionCode::parse(parent), code.parent()) {
        (Err(e), _) => errors.push(line, "parent_code", e.to_string()),
        (Ok(_), None) => errors.push(line, "parent_code", "a province has no parent"),
        (Ok(given), Some(natural)) if given != natural => errors.push(
            line,
            "parent_code",
            format!("is {given}, but the parent of {code} is {natural}"),
        ),
        (Ok(_), Some(_)) => {}
    }
}

/// The age-band populations of a row: `Ok(None)` when the row gives none, `Err(())` after
/// recording what is wrong.
fn read_population(errors: &mut Collector, row: &RowRef<'_>) -> Result<Option<[u64; 4]>, ()> {
    let mut bands = [0u64; 4];
    let mut given = 0;
    let mut ok = true;
    for (band, column) in bands.iter_mut().zip(POPULATION_COLUMNS) {
        if let Some(text) = row.value(column) {
            given += 1;
            match parse_count(text) {
                Ok(n) => *band = n,
                Err(reason) => {
                    errors.push(row.line(), column, reason);
                    ok = false;
                }
            }
        }
    }
    if given > 0 && given < POPULATION_COLUMNS.len() {
        for column in POPULATION_COLUMNS {
            if row.value(column).is_none() {
                errors.push(
                    row.line(),
                    column,
                    "is required when other age bands are given",
                );
            }
        }
        ok = false;
    }
    let total = match row.value(TOTAL_COLUMN).map(parse_count) {
        None => None,
        Some(Ok(total)) => Some(total),
        Some(Err(reason)) => {
            errors.push(row.line(), TOTAL_COLUMN, reason);
            return Err(());
        }
    };
    if !ok {
        return Err(());
    }
    match (given, total) {
        (0, None) => Ok(None),
        (0, Some(_)) => {
            errors.push(
                row.line(),
                TOTAL_COLUMN,
                "is given but the age bands are empty",
            );
            Err(())
        }
        (_, Some(total))
            if Some(total) != bands.iter().try_fold(0u64, |a, b| a.checked_add(*b)) =>
        {
            let sum = bands.iter().fold(0u64, |a, b| a.saturating_add(*b));
            errors.push(
                row.line(),
                TOTAL_COLUMN,
                format!("is {total}, but the age bands add up to {sum}"),
            );
            Err(())
        }
        _ => Ok(Some(bands)),
    }
}

/// A count of people: ASCII digits only.
fn parse_count(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a whole number, 0 or more".to_string());
    }
    text.parse()
        .map_err(|_| "is too large for a population".to_string())
}
