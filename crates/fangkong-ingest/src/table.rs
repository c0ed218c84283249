//! Tables read from CSV or XLSX bytes: a header and rows of text cells, each row with the
//! line it came from.
//!
//! Every record parser in this crate is built on [`Table`], so a CSV file and the same data
//! saved as an Excel workbook give the same records and the same errors. This module only
//! finds cells; it does not interpret them (no dates, codes or numbers are validated here),
//! and it never opens a file: the caller hands over the bytes.

use crate::error::{Collector, FileErrors, RowError, ROW_FIELD};

/// The kind of file a table is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, UTF-8 (a leading byte order mark is dropped).
    Csv,
    /// An Office Open XML workbook; the first worksheet is read.
    Xlsx,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
// The Compound File Binary header of the old BIFF .xls format.
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Format {
    /// Decides the format from the content, then the file name.
    ///
    /// Content wins over the name because files get renamed: a workbook (ZIP magic
    /// `PK\x03\x04`) is XLSX whatever its name. Otherwise a name ending in `.xlsx`
    /// (any case) is XLSX, and everything else is CSV.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Format {
        if bytes.starts_with(ZIP_MAGIC) || file_name.to_ascii_lowercase().ends_with(".xlsx") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// A table of text cells: header names and data rows with their source lines.
///
/// Header names are trimmed and lowercased, so `provinceCode` is found as `provincecode`.
/// Cells are trimmed. Rows whose cells are all empty are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    file: String,
    format: Format,
    header_line: u64,
    headers: Vec<String>,
    rows: Vec<Row>,
}

/// One data row: its 1-based source line and one cell per header column.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    line: u64,
    cells: Vec<String>,
}

/// A row of a [`Table`], with cells looked up by column name.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    table: &'a Table,
    row: &'a Row,
}

impl<'a> RowRef<'a> {
    /// The 1-based line where the row starts: for CSV the physical line of the record's
    /// first character (a quoted field may span lines), for XLSX the sheet row number.
    pub fn line(&self) -> u64 {
        self.row.line
    }

    /// The trimmed cell of `column`, or `None` if the table has no such column.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let idx = self.table.column(column)?;
        Some(self.row.cells.get(idx).map_or("", String::as_str))
    }

    /// The cell of `column` if the column exists and the cell is not empty.
    pub fn value(&self, column: &str) -> Option<&'a str> {
        self.get(column).filter(|v| !v.is_empty())
    }

    /// The cells in header order.
    pub fn cells(&self) -> &'a [String] {
        &self.row.cells
    }
}

impl Table {
    /// A one-row table from named values (a form or a JSON object), so that single records
    /// are validated by exactly the same rules as file rows. The row is line 1.
    pub fn from_fields(file_name: &str, fields: &[(&str, &str)]) -> Table {
        Table {
            file: file_name.to_string(),
            format: Format::Csv,
            header_line: 0,
            headers: fields
                .iter()
                .map(|(k, _)| k.trim().to_lowercase())
                .collect(),
            rows: vec![Row {
                line: 1,
                cells: fields.iter().map(|(_, v)| v.trim().to_string()).collect(),
            }],
        }
    }

    /// The file name given to [`read_table`], used in messages.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The format the table was read from.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The line of the header row (1 for CSV; the first non-empty sheet row for XLSX).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The header names, trimmed and lowercased, in column order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column named `name` (compared trimmed and lowercased).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.trim().to_lowercase();
        self.headers.iter().position(|h| *h == name)
    }

    /// Checks that every column in `names` is present.
    ///
    /// # Errors
    /// One error per missing column, on the header line, with the column as the field.
    pub fn require(&self, names: &[&str]) -> Result<(), FileErrors> {
        let mut errors = Collector::new(&self.file);
        for name in names {
            if self.column(name).is_none() {
                errors.push(self.header_line, *name, "required column is missing");
            }
        }
        errors.finish(())
    }

    /// The data rows in file order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = RowRef<'_>> {
        self.rows.iter().map(move |row| RowRef { table: self, row })
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Reads a table from the bytes of a CSV or XLSX file.
///
/// The format comes from [`Format::detect`]. The first non-empty row is the header; its names
/// are trimmed and lowercased. CSV input is UTF-8 with an optional byte order mark, LF or
/// CRLF line ends and RFC 4180 quoting (a quoted field may contain commas, quotes and line
/// breaks). XLSX input is read from its first worksheet; numbers become text without `.0`
/// when integral and date cells become `YYYY-MM-DD`. Old `.xls` workbooks are refused with a
/// hint to save as `.xlsx` or CSV UTF-8.
///
/// # Errors
/// Every structural problem found: a file that is not a readable workbook or has no header
/// (line 0), a repeated header name, a row with a different number of fields than the
/// header, a cell that is not UTF-8, an Excel error cell or a number Excel has rounded.
///
/// # Examples
/// ```
/// let table = fangkong_ingest::read_table("t.csv", b"\xEF\xBB\xBFCode,Name\r\n41,\"Henan\"\r\n")
///     .unwrap();
/// assert_eq!(table.headers(), ["code", "name"]);
/// let row = table.rows().next().unwrap();
/// assert_eq!((row.line(), row.get("name")), (2, Some("Henan")));
/// ```
pub fn read_table(file_name: &str, bytes: &[u8]) -> Result<Table, FileErrors> {
    let (table, errors) = read_table_lenient(file_name, bytes)?;
    let mut collector = Collector::new(file_name);
    collector.extend(errors);
    collector.finish(table)
}

/// Reads a table, returning the well-formed rows together with the errors of the others,
/// so that record parsers can report structural and value errors in one list.
///
/// # Errors
/// Only when no table can be made at all: unreadable workbook, no header, bad header.
pub(crate) fn read_table_lenient(
    file_name: &str,
    bytes: &[u8],
) -> Result<(Table, Vec<RowError>), FileErrors> {
    if bytes.starts_with(CFB_MAGIC) {
        return Err(FileErrors::whole_file(
            file_name,
            "old excel .xls files are not supported; save as .xlsx or csv utf-8",
        ));
    }
    let format = Format::detect(file_name, bytes);
    let raw = match format {
        Format::Csv => read_csv(bytes),
        Format::Xlsx => crate::xlsx::read_first_sheet(bytes),
    }
    .map_err(|reason| FileErrors::whole_file(file_name, reason))?;
    build_table(file_name, format, raw)
}

/// Rows of cells as found in the file, before the header is known.
#[derive(Debug, Default)]
pub(crate) struct RawTable {
    /// Non-empty rows: line and cells. Cells are trimmed text, or an error to report with
    /// the cell's column name.
    pub(crate) rows: Vec<(u64, Vec<Cell>)>,
    /// Errors already found, in rows that are not kept.
    pub(crate) errors: Vec<RowError>,
}

/// A cell as read: trimmed text or the reason it could not be read.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    Bad(String),
}

impl Cell {
    fn is_empty(&self) -> bool {
        matches!(self, Cell::Text(t) if t.is_empty())
    }
}

fn build_table(
    file_name: &str,
    format: Format,
    raw: RawTable,
) -> Result<(Table, Vec<RowError>), FileErrors> {
    let mut rows = raw.rows.into_iter();
    let Some((header_line, header_cells)) = rows.next() else {
        return Err(FileErrors::whole_file(file_name, "file has no header row"));
    };
    let mut header_errors = Collector::new(file_name);
    let mut headers: Vec<String> = Vec::with_capacity(header_cells.len());
    for (idx, cell) in header_cells.iter().enumerate() {
        let name = match cell {
            Cell::Text(t) => t.to_lowercase(),
            Cell::Bad(reason) => {
                header_errors.push(header_line, format!("column {}", idx + 1), reason.clone());
                String::new()
            }
        };
        if !name.is_empty() {
            if let Some(first) = headers.iter().position(|h| *h == name) {
                header_errors.push(
                    header_line,
                    name.clone(),
                    format!("column {} repeats column {}", idx + 1, first + 1),
                );
            }
        }
        headers.push(name);
    }
    if format == Format::Xlsx {
        // A sheet is a rectangle as wide as its widest row; the table is as wide as its
        // header, and cells to the right of it are checked row by row below.
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
    }
    header_errors.finish(())?;

    let mut errors = raw.errors;
    let mut table_rows = Vec::new();
    for (line, cells) in rows {
        let width = match format {
            Format::Csv => cells.len(),
            // Trailing empty cells of a sheet row are not fields.
            Format::Xlsx => cells
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |i| i + 1),
        };
        let fits = match format {
            Format::Csv => width == headers.len(),
            Format::Xlsx => width <= headers.len(),
        };
        if !fits {
            let reason = match format {
                Format::Csv => {
                    format!("expected {} fields, found {width}", headers.len())
                }
                Format::Xlsx => format!(
                    "column {width} has a value but the header has {} columns",
                    headers.len()
                ),
            };
            errors.push(RowError::new(line, ROW_FIELD, reason));
            continue;
        }
        let mut row_ok = true;
        let mut texts = Vec::with_capacity(headers.len());
        for (idx, cell) in cells.into_iter().take(headers.len()).enumerate() {
            match cell {
                Cell::Text(t) => texts.push(t),
                Cell::Bad(reason) => {
                    row_ok = false;
                    errors.push(RowError::new(line, column_label(&headers, idx), reason));
                }
            }
        }
        if row_ok {
            texts.resize(headers.len(), String::new());
            table_rows.push(Row { line, cells: texts });
        }
    }
    let table = Table {
        file: file_name.to_string(),
        format,
        header_line,
        headers,
        rows: table_rows,
    };
    Ok((table, errors))
}

/// The header name of column `idx`, or `column N` when the header cell is empty.
fn column_label(headers: &[String], idx: usize) -> String {
    match headers.get(idx) {
        Some(h) if !h.is_empty() => h.clone(),
        _ => format!("column {}", idx + 1),
    }
}

/// Splits CSV bytes into rows of trimmed cells, each with the line where its record starts.
///
/// # Errors
/// None today: every problem is a row error in the result. The `Result` matches the XLSX
/// reader, whose workbook can be unreadable as a whole.
fn read_csv(bytes: &[u8]) -> Result<RawTable, String> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut raw = RawTable::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let newlines = line_break_ends(bytes);
    let mut consumed = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Reading from a slice cannot fail with IO, and flexible records cannot
                // have unequal lengths; anything else still names the line.
                let line = line_at(&newlines, first_content(bytes, consumed));
                raw.errors
                    .push(RowError::new(line, ROW_FIELD, csv_reason(&e)));
                break;
            }
        }
        // csv's own `Position::line` lags behind CRLF ends and skipped blank lines, so the
        // record's first line is counted here: the record starts at the first byte after
        // the previous record that is not a line end.
        let start = first_content(bytes, consumed);
        consumed = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
        let line = line_at(&newlines, start);
        let cells: Vec<Cell> = record
            .iter()
            .map(|field| match std::str::from_utf8(field) {
                Ok(text) => Cell::Text(text.trim().to_string()),
                Err(_) => Cell::Bad("text is not utf-8; save the file as csv utf-8".to_string()),
            })
            .collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        raw.rows.push((line, cells));
    }
    Ok(raw)
}

/// The offset of the first byte at or after `from` that is not `\r` or `\n`.
fn first_content(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| *b != b'\r' && *b != b'\n'))
        .map_or(bytes.len(), |i| from + i)
}

/// The offset of the last byte of every line break: `\n`, `\r\n`, or a lone `\r` (the line
/// end of CSV files from classic Mac Excel).
fn line_break_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        let is_end = match b {
            b'\n' => true,
            b'\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        if is_end {
            ends.push(i);
        }
    }
    ends
}

/// The 1-based line of the byte at `offset`, given the ends of the line breaks.
fn line_at(newlines: &[usize], offset: usize) -> u64 {
    1 + newlines.partition_point(|&p| p < offset) as u64
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        _ => "the csv text cannot be read".to_string(),
    }
}
