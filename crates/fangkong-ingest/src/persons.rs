//! Person lists: residents registered by a community, with their identity document.
//!
//! Communities hand in their resident lists as CSV or Excel. This module turns each row into
//! a [`PersonRecord`] whose document, phone and community code are already validated, or
//! names every bad value. It must never put personal data into an error: reasons say what is
//! wrong (`check digit is 3, expected X`), never the value itself. It also does not decide
//! whether a person already exists in the database; it only finds repeats within the file.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use fangkong_domain::mask::mask_name;
use fangkong_domain::{Document, JurisdictionCode, Level, PhoneNumber, Sex};

use crate::error::{Collector, FileErrors, RowError, ROW_FIELD};
use crate::identity::IdentityColumns;
use crate::jurisdictions::required_code;
use crate::table::{read_table_lenient, RowRef, Table};

/// The longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// The longest address, in characters: a full Chinese address with building, unit and room
/// is well under 100; a 10 MB "address" is an attack or a broken export, not an address.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// The longest tag, in characters, and the most tags a person may carry.
pub const MAX_TAG_CHARS: usize = 30;
pub const MAX_TAGS: usize = 20;
/// The characters that separate tags: ASCII and full-width semicolons and commas.
pub const TAG_SEPARATORS: [char; 4] = [';', '；', ',', '，'];

/// One person row, validated.
///
/// `Debug` masks the name and hides the address, like the domain types mask document and
/// phone numbers, so a record printed into a log leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The line (or sheet row) the record came from.
    pub line: u64,
    /// The identity document.
    pub document: Document,
    /// The name, trimmed, 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The normalised phone number, if given.
    pub phone: Option<PhoneNumber>,
    /// The address, if given.
    pub address: Option<String>,
    /// The community (12-digit code) the person is registered in.
    pub community_code: JurisdictionCode,
    /// Tags, trimmed, without repeats, in the order first given.
    pub tags: Vec<String>,
    /// From the ID number for a mainland ID, else from the `sex` column.
    pub sex: Sex,
    /// From the ID number for a mainland ID, else from the `birth_date` column.
    pub birth_date: NaiveDate,
}

impl fmt::Debug for PersonRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonRecord")
            .field("line", &self.line)
            .field("document", &self.document)
            .field("name", &mask_name(&self.name))
            .field("phone", &self.phone)
            .field("address", &self.address.as_ref().map(|_| "<hidden>"))
            .field("community_code", &self.community_code)
            .field("tags", &self.tags)
            .field("sex", &self.sex)
            .field("birth_date", &"<hidden>")
            .finish()
    }
}

/// Parses a person list from CSV or XLSX bytes.
///
/// Columns:
/// - `name` (required): 1 to [`MAX_NAME_CHARS`] characters, no control characters.
/// - identity: `id_number` (a mainland ID), or `document_kind` + `document_number` +
///   `nationality` with the kinds of
///   [`DocumentKind::as_str`](fangkong_domain::DocumentKind::as_str). A row whose
///   `document_kind` is empty or `mainland_id` takes its mainland ID from `id_number` or
///   `document_number`.
/// - `phone`, `address` (optional).
/// - `community_code` (required): a 12-digit community code.
/// - `tags` (optional): separated by any of [`TAG_SEPARATORS`], trimmed, repeats dropped.
/// - `sex`, `birth_date` (`YYYY-MM-DD`; `/` or `.` also separate): required when the
///   document is not a mainland ID; with a mainland ID they may be given and must agree
///   with the number.
///
/// `today` is the caller's date: a birth date after it is an error. This crate never reads
/// the clock.
///
/// # Errors
/// Every bad value of every row, each with the domain error's text, plus identities repeated
/// within the file (naming the earlier line) and every structural error of
/// [`crate::read_table`]. No reason contains the personal data itself.
///
/// # Examples
/// ```
/// use chrono::NaiveDate;
/// let csv = "name,id_number,community_code\n张三,410102199003071234,410102001001\n";
/// let today = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// let err = fangkong_ingest::parse_persons("persons.csv", csv.as_bytes(), today).unwrap_err();
/// assert_eq!(err.to_string(), "persons.csv:2: id_number: check digit is 4, expected 0");
/// ```
pub fn parse_persons(
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Vec<PersonRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    let identity = check_header(&table)?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let Some(record) = read_person(&mut errors, &row, &identity, today) else {
            continue;
        };
        match seen.get(&record.document.index_text()) {
            Some(first) => {
                let field = identity.field(&row, &record.document);
                errors.push(row.line(), field, format!("same document as line {first}"));
            }
            None => {
                seen.insert(record.document.index_text(), record.line);
                records.push(record);
            }
        }
    }
    errors.finish(records)
}

/// Validates one person given as named values (an API request or a form) by the same rules
/// as a file row. Field names are the column names of [`parse_persons`].
///
/// # Errors
/// Every bad value, each as a [`RowError`] on line 1.
pub fn parse_person_fields(
    fields: &[(&str, &str)],
    today: NaiveDate,
) -> Result<PersonRecord, Vec<RowError>> {
    let table = Table::from_fields("request", fields);
    let identity = check_header(&table).map_err(|e| e.errors)?;
    let mut errors = Collector::new("request");
    let record = table
        .rows()
        .next()
        .and_then(|row| read_person(&mut errors, &row, &identity, today));
    match errors.finish(()) {
        Err(e) => Err(e.errors),
        Ok(()) => record.ok_or_else(|| vec![RowError::new(1, ROW_FIELD, "is empty")]),
    }
}

/// Checks the required columns and finds the identity columns.
pub(crate) fn check_header(table: &Table) -> Result<IdentityColumns, FileErrors> {
    let mut errors = Collector::new(table.file_name());
    if let Err(e) = table.require(&["name", "community_code"]) {
        errors.extend(e.errors);
    }
    let identity = IdentityColumns::find(table.header(), &mut errors);
    errors.finish(identity)
}

/// Validates one row, recording every bad value; `None` if any was bad.
pub(crate) fn read_person(
    errors: &mut Collector,
    row: &RowRef<'_>,
    identity: &IdentityColumns,
    today: NaiveDate,
) -> Option<PersonRecord> {
    let line = row.line();
    let before = errors.len();

    let name = match row.value("name") {
        None => {
            errors.push(line, "name", "is required");
            None
        }
        Some(name) => match check_name(name) {
            Ok(()) => Some(name),
            Err(reason) => {
                errors.push(line, "name", reason);
                None
            }
        },
    };
    let document = identity.read(errors, row);
    let phone = match row.value("phone").map(PhoneNumber::parse) {
        None => None,
        Some(Ok(phone)) => Some(phone),
        Some(Err(e)) => {
            errors.push(line, "phone", e.to_string());
            None
        }
    };
    let address = match row.value("address").map(check_address) {
        None => None,
        Some(Ok(address)) => Some(address.to_string()),
        Some(Err(reason)) => {
            errors.push(line, "address", reason);
            None
        }
    };
    let community_code = match required_code(errors, row, "community_code") {
        None => None,
        Some(code) if code.level() != Level::Community => {
            errors.push(
                line,
                "community_code",
                format!(
                    "must be a 12-digit community code, found a {} code",
                    code.level().as_str()
                ),
            );
            None
        }
        Some(code) => Some(code),
    };
    let tags = row.value("tags").map(split_tags).unwrap_or_default();
    if let Err(reason) = check_tags(&tags) {
        errors.push(line, "tags", reason);
    }
    let (sex, birth_date) = read_sex_and_birth(errors, row, identity, document.as_ref(), today);

    if errors.len() != before {
        return None;
    }
    Some(PersonRecord {
        line,
        document: document?,
        name: name?.to_string(),
        phone,
        address,
        community_code: community_code?,
        tags,
        sex: sex?,
        birth_date: birth_date?,
    })
}

/// Checks an address: at most [`MAX_ADDRESS_CHARS`] characters.
///
/// # Errors
/// The reason, without the address.
pub fn check_address(address: &str) -> Result<&str, String> {
    let n = address.chars().count();
    if n > MAX_ADDRESS_CHARS {
        return Err(format!(
            "has {n} characters, at most {MAX_ADDRESS_CHARS} are allowed"
        ));
    }
    Ok(address)
}

/// Checks tags: at most [`MAX_TAGS`], each at most [`MAX_TAG_CHARS`] characters.
///
/// # Errors
/// The reason, without the tags.
pub fn check_tags(tags: &[String]) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "has {} tags, at most {MAX_TAGS} are allowed",
            tags.len()
        ));
    }
    if let Some(n) = tags
        .iter()
        .map(|t| t.chars().count())
        .find(|n| *n > MAX_TAG_CHARS)
    {
        return Err(format!(
            "a tag has {n} characters, at most {MAX_TAG_CHARS} are allowed"
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(format!(
            "has {n} characters, at most {MAX_NAME_CHARS} are allowed"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("contains a control character such as a line break".to_string());
    }
    Ok(())
}

/// Sex and birth date: from a mainland ID (any given columns must agree), else from the
/// `sex` and `birth_date` columns, which are then required. When the document itself was
/// bad (`None`), the given columns are still checked on their own.
fn read_sex_and_birth(
    errors: &mut Collector,
    row: &RowRef<'_>,
    identity: &IdentityColumns,
    document: Option<&Document>,
    today: NaiveDate,
) -> (Option<Sex>, Option<NaiveDate>) {
    let line = row.line();
    let sex_given = row.value("sex").map(|text| {
        let sex = Sex::parse(text);
        if sex.is_none() {
            errors.push(line, "sex", "expected male or female");
        }
        sex
    });
    let birth_given = row.value("birth_date").map(|text| {
        let date = parse_date(text);
        if date.is_none() {
            errors.push(line, "birth_date", "expected a date as YYYY-MM-DD");
        }
        date
    });
    match document {
        None => {
            if let Some(Some(date)) = birth_given {
                if date > today {
                    errors.push(line, "birth_date", format!("is after today, {today}"));
                }
            }
            (None, None)
        }
        Some(document @ Document::MainlandId(id)) => {
            if matches!(sex_given, Some(Some(sex)) if sex != id.sex()) {
                errors.push(line, "sex", "does not match the id number");
            }
            if matches!(birth_given, Some(Some(date)) if date != id.birth_date()) {
                errors.push(line, "birth_date", "does not match the id number");
            }
            if id.birth_date() > today {
                errors.push(
                    line,
                    identity.field(row, document),
                    format!("the birth date in the number is after today, {today}"),
                );
            }
            (Some(id.sex()), Some(id.birth_date()))
        }
        Some(Document::Other { .. }) => {
            let sex = match sex_given {
                Some(sex) => sex,
                None => {
                    errors.push(
                        line,
                        "sex",
                        "is required when the document is not a mainland id",
                    );
                    None
                }
            };
            let birth_date = match birth_given {
                Some(Some(date)) if date > today => {
                    errors.push(line, "birth_date", format!("is after today, {today}"));
                    None
                }
                Some(date) => date,
                None => {
                    errors.push(
                        line,
                        "birth_date",
                        "is required when the document is not a mainland id",
                    );
                    None
                }
            };
            (sex, birth_date)
        }
    }
}

/// A calendar date as `YYYY-MM-DD`; `/` and `.` are accepted as separators and month and
/// day may have one digit, as Excel writes them in Chinese locales (`1990/3/7`).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split(['-', '/', '.']);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || year.len() != 4
        || !(1..=2).contains(&month.len())
        || !(1..=2).contains(&day.len())
        || ![year, month, day]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Splits a tag cell, trimming each tag and dropping empty ones and repeats.
fn split_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(TAG_SEPARATORS).map(str::trim) {
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_excel_chinese_locale_forms() {
        let d = NaiveDate::from_ymd_opt(1990, 3, 7);
        assert_eq!(parse_date("1990-03-07"), d);
        assert_eq!(parse_date("1990/3/7"), d);
        assert_eq!(parse_date("1990.03.07"), d);
        assert_eq!(parse_date("1990-02-30"), None);
        assert_eq!(parse_date("90-03-07"), None);
        assert_eq!(parse_date("1990-03-07-01"), None);
        assert_eq!(parse_date("1990-+3-07"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn tags_split_on_ascii_and_full_width_separators() {
        assert_eq!(
            split_tags(" 独居老人；高血压;独居老人, 孕妇 ，，"),
            ["独居老人", "高血压", "孕妇"]
        );
    }
}
