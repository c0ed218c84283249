//! Co-investigation lists (协查名单) as CSV, XLSX or NDJSON: one item a row, naming a person
//! by national ID number or by phone number, or a place. Errors name the file, line and
//! field; a file with any bad row is refused whole.

use fangkong_domain::{NationalId, PhoneNumber};

use crate::error::{Collector, FileErrors};
use crate::table::read_table_lenient;

/// What one row names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSubject {
    Person(NationalId),
    Phone(PhoneNumber),
    Place(String),
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub line: u64,
    pub subject: ItemSubject,
    /// Free text from the sender (e.g. the time at the risk place).
    pub note: String,
}

/// Parses a list: columns `id_number`, `phone`, `place` (exactly one of them filled on each
/// row) and an optional `note`.
///
/// # Errors
/// Every bad value of every row.
///
/// # Examples
/// ```
/// let csv = "id_number,phone,place,note\n,13812345678,,\n,,人民路菜市场,11月28日\n";
/// let items = fangkong_ingest::co_investigation::parse_items("list.csv", csv.as_bytes()).unwrap();
/// assert_eq!(items.len(), 2);
/// let bad = fangkong_ingest::co_investigation::parse_items("list.csv", b"id_number,phone\n,12\n");
/// assert_eq!(bad.unwrap_err().to_string(), "list.csv:2: phone: not a valid phone number");
/// ```
pub fn parse_items(file_name: &str, bytes: &[u8]) -> Result<Vec<ItemRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    if ["id_number", "phone", "place"]
        .iter()
        .all(|c| table.column(c).is_none())
    {
        return Err(FileErrors::whole_file(
            file_name,
            "needs a column id_number, phone or place",
        ));
    }
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut out = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let id = row.value("id_number");
        let phone = row.value("phone");
        let place = row.value("place");
        let filled = [id, phone, place].iter().filter(|v| v.is_some()).count();
        if filled != 1 {
            errors.push(
                line,
                "id_number",
                "exactly one of id_number, phone and place must be given",
            );
            continue;
        }
        let subject = if let Some(id) = id {
            match NationalId::parse(id) {
                Ok(id) => ItemSubject::Person(id),
                Err(e) => {
                    errors.push(line, "id_number", e.to_string());
                    continue;
                }
            }
        } else if let Some(phone) = phone {
            match PhoneNumber::parse(phone) {
                Ok(p) => ItemSubject::Phone(p),
                Err(_) => {
                    errors.push(line, "phone", "not a valid phone number");
                    continue;
                }
            }
        } else {
            let place = place.unwrap_or_default().trim().to_string();
            if place.chars().count() > 200 {
                errors.push(line, "place", "at most 200 characters");
                continue;
            }
            ItemSubject::Place(place)
        };
        let note = row.value("note").unwrap_or_default().trim().to_string();
        if note.chars().count() > 500 {
            errors.push(line, "note", "at most 500 characters");
            continue;
        }
        out.push(ItemRecord {
            line,
            subject,
            note,
        });
    }
    if out.is_empty() && errors.len() == 0 {
        return Err(FileErrors::whole_file(file_name, "the list has no items"));
    }
    errors.finish(out)
}
