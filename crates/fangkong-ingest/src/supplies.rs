//! Supplies files: stock counts of a stock-take and ledger movements, as CSV, XLSX or
//! NDJSON. Errors name the file, line and field; a file with any bad row is refused whole.

use crate::error::{Collector, FileErrors};
use crate::table::read_table_lenient;

/// One counted batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRecord {
    pub line: u64,
    pub item: String,
    pub lot: String,
    pub counted: i64,
}

/// One line of a movement; rows sharing an `idempotency_key` form one movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRecord {
    pub line: u64,
    pub idempotency_key: String,
    pub kind: String,
    pub warehouse_id: i64,
    pub to_warehouse_id: Option<i64>,
    pub item: String,
    pub quantity: i64,
    pub lot: Option<String>,
    pub expires_on: Option<String>,
    pub note: String,
}

/// Parses a stock-take count sheet: columns `item` (code), `lot`, `counted` (a whole number
/// of at least 0). A batch counted twice is an error naming the first line.
///
/// # Errors
/// Every bad value of every row.
///
/// # Examples
/// ```
/// let csv = "item,lot,counted\nN95,L2,100\n";
/// let counts = fangkong_ingest::supplies::parse_counts("count.csv", csv.as_bytes()).unwrap();
/// assert_eq!((counts[0].lot.as_str(), counts[0].counted), ("L2", 100));
/// let bad = fangkong_ingest::supplies::parse_counts("count.csv", b"item,lot,counted\nN95,L2,-1\n");
/// assert_eq!(bad.unwrap_err().to_string(), "count.csv:2: counted: must be a whole number of at least 0");
/// ```
pub fn parse_counts(file_name: &str, bytes: &[u8]) -> Result<Vec<CountRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&["item", "lot", "counted"])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: std::collections::HashMap<(String, String), u64> = Default::default();
    let mut out = Vec::new();
    for row in table.rows() {
        let line = row.line();
        let item = row.value("item").map(str::to_string);
        if item.is_none() {
            errors.push(line, "item", "is required");
        }
        let lot = row.value("lot").map(str::to_string);
        if lot.is_none() {
            errors.push(line, "lot", "is required");
        }
        let counted = match row.value("counted").map(str::parse::<i64>) {
            Some(Ok(n)) if n >= 0 => Some(n),
            _ => {
                errors.push(line, "counted", "must be a whole number of at least 0");
                None
            }
        };
        let (Some(item), Some(lot), Some(counted)) = (item, lot, counted) else {
            continue;
        };
        if let Some(first) = seen.get(&(item.clone(), lot.clone())) {
            errors.push(
                line,
                "lot",
                format!("batch counted already on line {first}"),
            );
            continue;
        }
        seen.insert((item.clone(), lot.clone()), line);
        out.push(CountRecord {
            line,
            item,
            lot,
            counted,
        });
    }
    errors.finish(out)
}

/// Parses a movements sheet: columns `idempotency_key`, `kind` (`receipt`, `issue`,
/// `transfer`, `adjustment`, `write_off`), `warehouse_id`, `item`, `quantity` (a non-zero
/// whole number), and optionally `to_warehouse_id`, `lot`, `expires_on` (YYYY-MM-DD) and
/// `note`. Rows of one key must agree on kind, warehouses and note.
///
/// # Errors
/// Every bad value of every row.
///
/// # Examples
/// ```
/// let csv = "idempotency_key,kind,warehouse_id,item,quantity,lot,expires_on\n\
///            r1,receipt,3,N95,200,L2,2027-06-01\n";
/// let rows = fangkong_ingest::supplies::parse_movements("m.csv", csv.as_bytes()).unwrap();
/// assert_eq!((rows[0].warehouse_id, rows[0].quantity), (3, 200));
/// ```
pub fn parse_movements(file_name: &str, bytes: &[u8]) -> Result<Vec<MovementRecord>, FileErrors> {
    const KINDS: [&str; 5] = ["receipt", "issue", "transfer", "adjustment", "write_off"];
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&[
        "idempotency_key",
        "kind",
        "warehouse_id",
        "item",
        "quantity",
    ])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut heads: std::collections::HashMap<String, (u64, String, i64, Option<i64>, String)> =
        Default::default();
    let mut out = Vec::new();
    for row in table.rows() {
        let line = row.line();
        let mut ok = true;
        let key = row
            .value("idempotency_key")
            .map(str::to_string)
            .unwrap_or_default();
        if key.is_empty() {
            errors.push(line, "idempotency_key", "is required");
            ok = false;
        }
        let kind = row.value("kind").unwrap_or_default().to_string();
        if !KINDS.contains(&kind.as_str()) {
            errors.push(line, "kind", format!("must be one of {}", KINDS.join(", ")));
            ok = false;
        }
        let id = |name: &str| row.value(name).map(str::parse::<i64>);
        let warehouse_id = match id("warehouse_id") {
            Some(Ok(n)) if n > 0 => n,
            _ => {
                errors.push(line, "warehouse_id", "must be a warehouse id");
                ok = false;
                0
            }
        };
        let to_warehouse_id = match id("to_warehouse_id") {
            None => None,
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => {
                errors.push(line, "to_warehouse_id", "must be a warehouse id");
                ok = false;
                None
            }
        };
        let item = row.value("item").unwrap_or_default().to_string();
        if item.is_empty() {
            errors.push(line, "item", "is required");
            ok = false;
        }
        let quantity = match row.value("quantity").map(str::parse::<i64>) {
            Some(Ok(n)) if n != 0 => n,
            _ => {
                errors.push(line, "quantity", "must be a whole number other than 0");
                ok = false;
                0
            }
        };
        let expires_on = row.value("expires_on").map(str::to_string);
        if let Some(d) = &expires_on {
            if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                errors.push(line, "expires_on", "must be a date YYYY-MM-DD");
                ok = false;
            }
        }
        let note = row.value("note").unwrap_or_default().to_string();
        if !ok {
            continue;
        }
        let head = (
            line,
            kind.clone(),
            warehouse_id,
            to_warehouse_id,
            note.clone(),
        );
        if let Some(first) = heads.get(&key) {
            if (&first.1, first.2, first.3, &first.4)
                != (&kind, warehouse_id, to_warehouse_id, &note)
            {
                errors.push(
                    line,
                    "idempotency_key",
                    format!("differs from line {} in kind, warehouses or note", first.0),
                );
                continue;
            }
        } else {
            heads.insert(key.clone(), head);
        }
        out.push(MovementRecord {
            line,
            idempotency_key: key,
            kind,
            warehouse_id,
            to_warehouse_id,
            item,
            quantity,
            lot: row.value("lot").map(str::to_string),
            expires_on,
            note,
        });
    }
    errors.finish(out)
}
