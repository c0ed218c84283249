//! Vaccination lists (CSV, XLSX or NDJSON, one dose per row) from vaccination sites and the
//! provincial immunization system.
//!
//! Columns: the person's identity (`id_number`, or `document_kind`/`document_number`/
//! `nationality` as in person lists), `dose_number` (1 to [`MAX_DOSE`]), `product` (a key
//! such as `coronavac`, the Chinese or English name, or the CVX code), `vaccinated_on`
//! (`YYYY-MM-DD`); optionally `lot` and `site` (the vaccination site's name). The same
//! person and dose twice in a file is refused at the second line. Whether the person is
//! registered, lies in the importer's jurisdiction, and whether the day is in the future,
//! is for the caller to decide.

use std::collections::HashMap;

use chrono::NaiveDate;
use fangkong_domain::immunization::VaccineProduct;
use fangkong_domain::Document;

use crate::error::{Collector, FileErrors};
use crate::identity::IdentityColumns;
use crate::table::read_table;

/// The highest dose number accepted.
pub const MAX_DOSE: u32 = 6;
/// The longest lot number or site name kept.
pub const MAX_TEXT: usize = 100;

/// One dose of a vaccination list, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaccinationRecord {
    /// The line where the row starts.
    pub line: u64,
    pub document: Document,
    pub dose_number: u32,
    pub product: VaccineProduct,
    pub vaccinated_on: NaiveDate,
    pub lot: Option<String>,
    pub site: Option<String>,
}

/// Parses a dose number.
///
/// # Errors
/// The reason.
pub fn parse_dose_number(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_DOSE).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to {MAX_DOSE}")),
    }
}

/// Parses a product: key, Chinese or English name, or CVX code.
///
/// # Errors
/// The reason, listing the accepted keys.
pub fn parse_product(text: &str) -> Result<VaccineProduct, String> {
    VaccineProduct::parse_loose(text).ok_or_else(|| {
        format!(
            "unknown product; expected one of {}",
            VaccineProduct::keys()
        )
    })
}

/// Reads a vaccination list; all or nothing.
///
/// # Errors
/// Every bad value of every row (with line and field; no reason quotes an ID number), or a
/// whole-file error when no table can be read or a required column is missing.
///
/// # Examples
/// ```
/// let csv = "id_number,dose_number,product,vaccinated_on,lot\n\
///            11010519491231002X,1,pfizer,2021-05-01,A1\n";
/// let e = fangkong_ingest::immunization::parse_vaccinations("v.csv", csv.as_bytes()).unwrap_err();
/// assert!(e.to_string().contains("v.csv:2: product: unknown product"));
/// ```
pub fn parse_vaccinations(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<VaccinationRecord>, FileErrors> {
    let (records, errors) = parse_vaccinations_lenient(file_name, bytes)?;
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(FileErrors {
            file: file_name.to_string(),
            errors,
        })
    }
}

/// Reads a vaccination list like [`parse_vaccinations`], giving the valid rows and the errors
/// of the others (sorted by line), so a caller can add the errors it finds in the valid rows
/// (an unknown person, a day in the future) and report them all at once.
///
/// # Errors
/// A whole-file error when no table can be read or a required column is missing.
pub fn parse_vaccinations_lenient(
    file_name: &str,
    bytes: &[u8],
) -> Result<(Vec<VaccinationRecord>, Vec<crate::RowError>), FileErrors> {
    let table = read_table(file_name, bytes)?;
    table.require(&["dose_number", "product", "vaccinated_on"])?;
    let mut errors = Collector::new(file_name);
    let identity = IdentityColumns::find(table.header(), &mut errors);
    if errors.len() > 0 {
        return Err(FileErrors {
            file: file_name.to_string(),
            errors: errors.into_sorted(),
        });
    }
    let mut seen: HashMap<(String, u32), u64> = HashMap::with_capacity(table.len());
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let document = identity.read(&mut errors, &row);
        let mut required = |name: &str| {
            let value = row.value(name);
            if value.is_none() {
                errors.push(line, name, "is required");
            }
            value
        };
        let dose = required("dose_number");
        let product = required("product");
        let day = required("vaccinated_on");
        let dose = dose.and_then(|t| {
            parse_dose_number(t)
                .map_err(|e| errors.push(line, "dose_number", e))
                .ok()
        });
        let product = product.and_then(|t| {
            parse_product(t)
                .map_err(|e| errors.push(line, "product", e))
                .ok()
        });
        let day = day.and_then(|t| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map_err(|_| errors.push(line, "vaccinated_on", "expected YYYY-MM-DD"))
                .ok()
        });
        let mut text = |name: &str| {
            let value = row.value(name)?;
            if value.chars().count() > MAX_TEXT {
                errors.push(line, name, format!("longer than {MAX_TEXT} characters"));
                return None;
            }
            Some(value.to_string())
        };
        let lot = text("lot");
        let site = text("site");
        let (Some(document), Some(dose_number), Some(product), Some(vaccinated_on)) =
            (document, dose, product, day)
        else {
            continue;
        };
        if let Some(first) = seen.insert((document.index_text(), dose_number), line) {
            errors.push(
                line,
                "dose_number",
                format!("repeats the dose of line {first} for the same person"),
            );
            continue;
        }
        records.push(VaccinationRecord {
            line,
            document,
            dose_number,
            product,
            vaccinated_on,
            lot,
            site,
        });
    }
    Ok((records, errors.into_sorted()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_column_and_names_every_error() {
        let csv = "id_number,dose_number,product,vaccinated_on,lot,site\n\
                   11010519491231002X,1,北京科兴中维新冠灭活疫苗,2021-05-01,A1,驿城区接种点\n\
                   11010519491231002X,2,511,2021-05-25,,\n\
                   11010519491231002X,2,coronavac,2021-05-26,,\n\
                   110105194912310021,0,pfizer,2021/05/01,,\n";
        let e = parse_vaccinations("v.csv", csv.as_bytes()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("v.csv:4: dose_number: repeats the dose of line 3"),
            "{text}"
        );
        assert!(text.contains("v.csv:5: id_number:"), "{text}");
        assert!(
            text.contains("v.csv:5: dose_number: expected a whole number from 1 to 6"),
            "{text}"
        );
        assert!(text.contains("v.csv:5: product: unknown product"), "{text}");
        assert!(
            text.contains("v.csv:5: vaccinated_on: expected YYYY-MM-DD"),
            "{text}"
        );
        assert!(!text.contains("11010519491231002"), "{text}");
        let good = &csv.lines().take(3).collect::<Vec<_>>().join("\n");
        let records = parse_vaccinations("v.csv", good.as_bytes()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].product, VaccineProduct::CoronaVac);
        assert_eq!(records[0].site.as_deref(), Some("驿城区接种点"));
        assert_eq!(records[1].product, VaccineProduct::CoronaVac);
        assert_eq!(records[1].lot, None);
        assert_eq!(records[1].line, 3);
    }

    #[test]
    fn missing_columns_are_one_error() {
        let e = parse_vaccinations("v.csv", b"id_number,product\n").unwrap_err();
        assert!(e.to_string().contains("dose_number"), "{e}");
    }
}
