//! Imported cold-chain goods: batch lists as ports and cold stores exchange them (CSV, XLSX or
//! NDJSON, one batch per row), and the country codes their origin is written in.
//!
//! The same rules check one batch sent as a form or JSON ([`parse_batch_fields`]) and every
//! row of a file ([`parse_batches`]). Whether the cold store exists, and whether the arrival
//! lies in the future, needs the store and the clock: the app decides that.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::error::{Collector, FileErrors};
use crate::table::{read_table_lenient, RowRef, Table};
use crate::testing::parse_time;

/// The reason given for a code that is not a country.
pub const COUNTRY_REASON: &str =
    "unknown country code; expected ISO 3166 alpha-2 or alpha-3, such as BR or BRA";

/// The ISO 3166-1 alpha-2 code of a country written as alpha-2 or alpha-3 (any case), or
/// `None` when it is neither.
///
/// # Examples
/// ```
/// use fangkong_ingest::coldchain::parse_country;
/// assert_eq!(parse_country("bra"), Some("BR"));
/// assert_eq!(parse_country("BR"), Some("BR"));
/// assert_eq!(parse_country("XX"), None);
/// ```
pub fn parse_country(text: &str) -> Option<&'static str> {
    fangkong_domain::Country::parse(text)
        .ok()
        .map(fangkong_domain::Country::alpha2)
}

/// One batch of imported cold-chain goods.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecord {
    pub line: u64,
    /// The batch code, unique in the instance.
    pub code: String,
    pub product: String,
    /// ISO 3166-1 alpha-2.
    pub origin_country: String,
    pub port_of_entry: String,
    /// The cold store's facility code (its place code, or its id), not yet looked up.
    pub cold_store: String,
    /// Greater than zero.
    pub quantity: f64,
    pub unit: String,
    pub arrived_at: DateTime<Utc>,
    /// The traceability code (追溯码).
    pub trace_code: String,
    /// The disinfection certificate number, when the batch has one.
    pub disinfection_cert: Option<String>,
}

/// The columns of a batch, required ones first.
pub const BATCH_COLUMNS: [&str; 10] = [
    "code",
    "product",
    "origin_country",
    "port_of_entry",
    "cold_store",
    "quantity",
    "unit",
    "arrived_at",
    "trace_code",
    "disinfection_cert",
];

/// Parses a quantity: a finite number greater than zero.
///
/// # Errors
/// The reason, for the caller to file under its field.
pub fn parse_quantity(text: &str) -> Result<f64, &'static str> {
    match text.trim().parse::<f64>() {
        Ok(q) if !q.is_finite() => Err("must be a number"),
        Ok(q) if q <= 0.0 => Err("must be greater than 0"),
        Ok(q) => Ok(q),
        Err(_) => Err("must be a number"),
    }
}

fn batch_row(errors: &mut Collector, row: &RowRef<'_>) -> Option<BatchRecord> {
    let line = row.line();
    let before = errors.len();
    let mut required = |field: &str| {
        let v = row.value(field);
        if v.is_none() {
            errors.push(line, field, "is required");
        }
        v
    };
    let code = required("code");
    let product = required("product");
    let origin = required("origin_country");
    let port = required("port_of_entry");
    let cold_store = required("cold_store");
    let quantity = required("quantity");
    let unit = required("unit");
    let arrived = required("arrived_at");
    let trace_code = required("trace_code");
    if let Some(code) = code {
        if code.chars().count() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errors.push(line, "code", "must be up to 64 letters, digits, '-' or '_'");
        }
    }
    let origin = origin.and_then(|o| {
        let c = parse_country(o);
        if c.is_none() {
            errors.push(line, "origin_country", COUNTRY_REASON);
        }
        c
    });
    let quantity = quantity.and_then(|q| {
        parse_quantity(q)
            .map_err(|reason| errors.push(line, "quantity", reason))
            .ok()
    });
    let arrived_at = arrived.and_then(|a| {
        parse_time(a)
            .map_err(|e| errors.push(line, "arrived_at", e.to_string()))
            .ok()
    });
    if errors.len() > before {
        return None;
    }
    Some(BatchRecord {
        line,
        code: code?.to_string(),
        product: product?.to_string(),
        origin_country: origin?.to_string(),
        port_of_entry: port?.to_string(),
        cold_store: cold_store?.to_string(),
        quantity: quantity?,
        unit: unit?.to_string(),
        arrived_at: arrived_at?,
        trace_code: trace_code?.to_string(),
        disinfection_cert: row.value("disinfection_cert").map(str::to_string),
    })
}

/// Parses one batch given as named fields (a form or a JSON body), by the rules of a file
/// row; errors are on line 1 of `file_name`.
///
/// # Errors
/// Every bad value.
pub fn parse_batch_fields(
    file_name: &str,
    fields: &[(&str, &str)],
) -> Result<BatchRecord, FileErrors> {
    let table = Table::from_fields(file_name, fields);
    let mut errors = Collector::new(file_name);
    let mut found = None;
    for row in table.rows() {
        found = batch_row(&mut errors, &row);
    }
    let record = errors.finish(found)?;
    record.ok_or_else(|| FileErrors::whole_file(file_name, "no batch"))
}

/// Parses a batch list; all or nothing.
///
/// Columns: `code`, `product`, `origin_country` (ISO 3166 alpha-2 or alpha-3),
/// `port_of_entry`, `cold_store` (the facility code of a cold-chain store), `quantity`
/// (greater than 0), `unit`, `arrived_at` (`YYYY-MM-DD HH:MM` China Standard Time, or RFC 3339
/// with an offset), `trace_code`, and optionally `disinfection_cert`. A code listed twice is an
/// error naming the first line.
///
/// # Errors
/// Every bad value of every row and every structural error of the table.
pub fn parse_batches(file_name: &str, bytes: &[u8]) -> Result<Vec<BatchRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&BATCH_COLUMNS[..9])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let Some(record) = batch_row(&mut errors, &row) else {
            continue;
        };
        if let Some(first) = seen.get(&record.code) {
            errors.push(record.line, "code", format!("repeats line {first}"));
            continue;
        }
        seen.insert(record.code.clone(), record.line);
        records.push(record);
    }
    errors.finish(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_read_as_iso_3166_1_in_either_form() {
        assert_eq!(parse_country(" nzl "), Some("NZ"));
        assert_eq!(parse_country("CHN"), Some("CN"));
        assert_eq!(parse_country("ZZZ"), None);
        assert_eq!(parse_country("B"), None);
    }

    #[test]
    fn every_bad_value_is_named_and_nothing_is_returned() {
        let csv = "code,product,origin_country,port_of_entry,cold_store,quantity,unit,arrived_at,trace_code\n\
                   B-1,冻牛肉,BRA,天津港,17,1200,kg,2026-11-20 08:00,T001\n\
                   B 2,,XX,天津港,17,-5,kg,2026-11-31 08:00,T002\n\
                   B-1,冻虾,EC,上海港,17,abc,kg,2026-11-21 08:00,T003\n\
                   B-4,冻虾,ECU,上海港,17,20,箱,2026-11-21 08:00,T004\n";
        let errors = parse_batches("batches.csv", csv.as_bytes()).unwrap_err();
        expect_test::expect![[r#"
            batches.csv:3: product: is required
            batches.csv:3: code: must be up to 64 letters, digits, '-' or '_'
            batches.csv:3: origin_country: unknown country code; expected ISO 3166 alpha-2 or alpha-3, such as BR or BRA
            batches.csv:3: quantity: must be greater than 0
            batches.csv:3: arrived_at: is not a real date and time
            batches.csv:4: quantity: must be a number"#]]
        .assert_eq(&errors.to_string());
        let good = "code,product,origin_country,port_of_entry,cold_store,quantity,unit,arrived_at,trace_code,disinfection_cert\n\
                    B-1,冻牛肉,bra,天津港,17,1200.5,kg,2026-11-20 08:00,T001,XD-9\n\
                    B-4,冻虾,ECU,上海港,17,20,箱,2026-11-21 08:00,T004,\n";
        let batches = parse_batches("batches.csv", good.as_bytes()).unwrap();
        assert_eq!(
            batches
                .iter()
                .map(|b| (
                    b.line,
                    b.code.as_str(),
                    b.origin_country.as_str(),
                    b.quantity,
                    b.disinfection_cert.as_deref()
                ))
                .collect::<Vec<_>>(),
            vec![
                (2, "B-1", "BR", 1200.5, Some("XD-9")),
                (3, "B-4", "EC", 20.0, None)
            ]
        );
        let dup = format!("{good}B-1,冻牛肉,BR,天津港,17,1,kg,2026-11-20 08:00,T009,\n");
        let errors = parse_batches("batches.csv", dup.as_bytes()).unwrap_err();
        assert_eq!(errors.to_string(), "batches.csv:4: code: repeats line 2");
    }
}
