//! Tables read from CSV, XLSX or NDJSON bytes: a header and rows of text cells, each row with
//! the line it came from.
//!
//! Every record parser in this crate is built on this module, so a CSV file, the same data
//! saved as an Excel workbook and the same data sent as JSON lines give the same records and
//! the same errors. This module only finds cells; it does not interpret them (no dates, codes
//! or numbers are validated here), and it never opens a file: the caller hands over the bytes.
//!
//! Rows can be had two ways. [`read_table`] collects them into a [`Table`]. Parsers of large
//! files (a city's testing round is millions of rows) instead hand a [`RowVisitor`] to
//! [`visit_rows`], which checks each row and passes it on as soon as it is read: CSV is then
//! never held as a table at all, and no row costs an allocation. Both ways run the same
//! checks, so they accept and reject the same rows.

use std::borrow::Cow;

use crate::error::{Collector, FileErrors, RowError, ROW_FIELD};

/// The kind of file a table is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, UTF-8 (a leading byte order mark is dropped).
    Csv,
    /// An Office Open XML workbook; the first worksheet is read.
    Xlsx,
    /// Newline-delimited JSON: one object per line, its keys the column names.
    ///
    /// Values are text, numbers or null: a number becomes its text exactly as written (an
    /// 18-digit number keeps every digit), `true`/`false` become that text (as Excel
    /// booleans do), null and a missing key are an empty cell. An object or array value is
    /// a row error naming the key. The header is the union of the keys of all lines, in the
    /// order first seen, and it stands on line 0 (the whole file). Blank lines are skipped
    /// and lines are physical lines (`\n` ends a line, a `\r` before it is dropped).
    Ndjson,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
// The Compound File Binary header of the old BIFF .xls format.
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
// Excel on Chinese Windows saves plain "CSV" in the system code page, GBK (code page 936):
// by far the most common reason a CSV file is not UTF-8. It is refused rather than decoded,
// because a guessed code page silently stores garbled names when the guess is wrong.
const NOT_UTF8: &str = "text is not utf-8 (gbk?); save the file as csv utf-8";
// Excel's "Unicode text" is UTF-16 with a byte order mark.
const UTF16_BOMS: [&[u8]; 2] = [b"\xFF\xFE", b"\xFE\xFF"];
const UTF16: &str = "text is utf-16; save the file as csv utf-8";

impl Format {
    /// Decides the format from the content, then the file name.
    ///
    /// Content wins over the name because files get renamed: a workbook (ZIP magic
    /// `PK\x03\x04`) is XLSX whatever its name, and text whose first non-blank character
    /// (after a byte order mark) is `{` is NDJSON, since no CSV header starts that way.
    /// Otherwise a name ending in `.xlsx` is XLSX, one ending in `.ndjson` or `.jsonl` is
    /// NDJSON (any case), and everything else is CSV.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Format {
        if bytes.starts_with(ZIP_MAGIC) {
            return Format::Xlsx;
        }
        let text = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            return Format::Ndjson;
        }
        let name = file_name.to_ascii_lowercase();
        if name.ends_with(".xlsx") {
            Format::Xlsx
        } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
            Format::Ndjson
        } else {
            Format::Csv
        }
    }
}

/// A cell's text as a byte range of the text it is stored in.
pub(crate) type Span = (usize, usize);

/// The header of a table: the file it came from and its column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    file: String,
    format: Format,
    line: u64,
    names: Vec<String>,
}

impl Header {
    pub(crate) fn new(file: &str, format: Format, line: u64, names: Vec<String>) -> Header {
        Header {
            file: file.to_string(),
            format,
            line,
            names,
        }
    }

    /// The file name given to the reader, used in messages.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The format the table is read from.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The line of the header row: 1 for CSV, the first non-empty sheet row for XLSX, and 0
    /// (the whole file) for NDJSON, whose header is the union of the keys of all lines.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The column names, trimmed and lowercased, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The index of the column named `name` (compared trimmed and lowercased).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = normalise_name(name);
        self.names.iter().position(|h| *h == name)
    }

    /// Checks that every column in `names` is present.
    ///
    /// # Errors
    /// One error per missing column, on the header line, with the column as the field.
    pub fn require(&self, names: &[&str]) -> Result<(), FileErrors> {
        let mut errors = Collector::new(&self.file);
        for name in names {
            if self.column(name).is_none() {
                errors.push(self.line, *name, "required column is missing");
            }
        }
        errors.finish(())
    }
}

/// A column name trimmed and lowercased; borrowed when it already is.
pub(crate) fn normalise_name(name: &str) -> Cow<'_, str> {
    let trimmed = name.trim();
    if trimmed
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(trimmed.to_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// A table of text cells: header names and data rows with their source lines.
///
/// Header names are trimmed and lowercased, so `provinceCode` is found as `provincecode`.
/// Cells are trimmed. Rows whose cells are all empty are skipped. The cells of all rows are
/// kept in one text buffer, so a table costs little more memory than its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Header,
    text: String,
    /// One span per header column for every row, row after row.
    spans: Vec<Span>,
    /// The source line of every row.
    lines: Vec<u64>,
}

/// A row of a table, with cells looked up by column name or index.
///
/// Every row has one cell per header column (missing cells are empty).
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    header: &'a Header,
    line: u64,
    text: &'a str,
    spans: &'a [Span],
}

impl<'a> RowRef<'a> {
    /// The 1-based line where the row starts: for CSV the physical line of the record's
    /// first character (a quoted field may span lines), for XLSX the sheet row number, for
    /// NDJSON the physical line of the object.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The trimmed cell of `column`, or `None` if the table has no such column.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        self.header.column(column).map(|idx| self.cell(idx))
    }

    /// The cell of `column` if the column exists and the cell is not empty.
    pub fn value(&self, column: &str) -> Option<&'a str> {
        self.get(column).filter(|v| !v.is_empty())
    }

    /// The trimmed cell at column index `idx` (from [`Table::column`]); empty when the
    /// index is past the last column.
    ///
    /// Looking a column up once and reading cells by index saves a name comparison per cell,
    /// which counts in files of millions of rows.
    pub fn cell(&self, idx: usize) -> &'a str {
        let text = self.text;
        self.spans
            .get(idx)
            .map_or("", |&(start, end)| text.get(start..end).unwrap_or(""))
    }

    /// The cell at `idx` if the index is given and the cell is not empty.
    pub fn cell_value(&self, idx: Option<usize>) -> Option<&'a str> {
        idx.map(|idx| self.cell(idx)).filter(|v| !v.is_empty())
    }

    /// The cells in header order.
    pub fn cells(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let text = self.text;
        self.spans
            .iter()
            .map(move |&(start, end)| text.get(start..end).unwrap_or(""))
    }
}

impl Table {
    /// A one-row table from named values (a form or a JSON object), so that single records
    /// are validated by exactly the same rules as file rows. The row is line 1.
    pub fn from_fields(file_name: &str, fields: &[(&str, &str)]) -> Table {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(fields.len());
        for (_, value) in fields {
            let start = text.len();
            text.push_str(value.trim());
            spans.push((start, text.len()));
        }
        Table {
            header: Header::new(
                file_name,
                Format::Csv,
                0,
                fields
                    .iter()
                    .map(|(k, _)| k.trim().to_lowercase())
                    .collect(),
            ),
            text,
            spans,
            lines: vec![1],
        }
    }

    /// The file name given to [`read_table`], used in messages.
    pub fn file_name(&self) -> &str {
        self.header.file_name()
    }

    /// The format the table was read from.
    pub fn format(&self) -> Format {
        self.header.format()
    }

    /// The line of the header row (1 for CSV; the first non-empty sheet row for XLSX; 0 for
    /// NDJSON, whose header comes from every line).
    pub fn header_line(&self) -> u64 {
        self.header.line()
    }

    /// The header names, trimmed and lowercased, in column order.
    pub fn headers(&self) -> &[String] {
        self.header.names()
    }

    /// The header, which [`RowVisitor`]s get too.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The index of the column named `name` (compared trimmed and lowercased).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.column(name)
    }

    /// Checks that every column in `names` is present.
    ///
    /// # Errors
    /// One error per missing column, on the header line, with the column as the field.
    pub fn require(&self, names: &[&str]) -> Result<(), FileErrors> {
        self.header.require(names)
    }

    /// The data rows in file order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = RowRef<'_>> {
        let width = self.header.names.len();
        self.lines.iter().enumerate().map(move |(i, &line)| RowRef {
            header: &self.header,
            line,
            text: &self.text,
            spans: self.spans.get(i * width..(i + 1) * width).unwrap_or(&[]),
        })
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Receives the rows of a file one at a time from [`visit_rows`].
pub trait RowVisitor {
    /// Called once with the header, before any row.
    ///
    /// # Errors
    /// What is wrong with the header for this visitor (typically missing columns); reading
    /// stops and [`visit_rows`] returns these errors.
    fn header(&mut self, header: &Header) -> Result<(), FileErrors>;

    /// Called with every well-formed data row, in file order. Rows with a structural problem
    /// (wrong number of fields, unreadable cell, a line that is not a JSON object) are not
    /// passed on; they are returned by [`visit_rows`] as errors.
    fn row(&mut self, row: RowRef<'_>);

    /// Told, before the header, at most how many rows will follow (the number of lines or
    /// sheet rows), so that a visitor can allocate once. Does nothing unless overridden.
    fn reserve(&mut self, rows: usize) {
        let _ = rows;
    }
}

/// Reads a table from the bytes of a CSV, XLSX or NDJSON file.
///
/// The format comes from [`Format::detect`]. For CSV and XLSX the first non-empty row is the
/// header; its names are trimmed and lowercased. CSV input is UTF-8 with an optional byte
/// order mark, LF or CRLF line ends and RFC 4180 quoting (a quoted field may contain commas,
/// quotes and line breaks). XLSX input is read from its first worksheet; numbers become text
/// without `.0` when integral and date cells become `YYYY-MM-DD`. Old `.xls` workbooks are
/// refused with a hint to save as `.xlsx` or CSV UTF-8. NDJSON input is read as described at
/// [`Format::Ndjson`]: the header is the union of every line's keys.
///
/// # Errors
/// Every structural problem found: a file that is not a readable workbook or has no header
/// (line 0), a repeated header name, a row with a different number of fields than the
/// header, a cell that is not UTF-8, an Excel error cell, a number Excel has rounded, or a
/// JSON line that is not an object of plain values.
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
    let mut builder = TableBuilder::default();
    let errors = visit_rows(file_name, bytes, &mut builder)?;
    let Some(header) = builder.header else {
        // `visit_rows` succeeds only after it has passed a header on.
        return Err(FileErrors::whole_file(file_name, "file has no header row"));
    };
    let table = Table {
        header,
        text: builder.text,
        spans: builder.spans,
        lines: builder.lines,
    };
    Ok((table, errors))
}

/// Collects visited rows into the storage of a [`Table`].
#[derive(Default)]
struct TableBuilder {
    header: Option<Header>,
    text: String,
    spans: Vec<Span>,
    lines: Vec<u64>,
}

impl RowVisitor for TableBuilder {
    fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn row(&mut self, row: RowRef<'_>) {
        for cell in row.cells() {
            let start = self.text.len();
            self.text.push_str(cell);
            self.spans.push((start, self.text.len()));
        }
        self.lines.push(row.line());
    }

    fn reserve(&mut self, rows: usize) {
        self.lines.reserve(rows);
    }
}

/// Reads the rows of a CSV, XLSX or NDJSON file and hands each well-formed one to `visitor`
/// as soon as it is read, by the rules of [`read_table`].
///
/// CSV rows are passed on while the file is read, so memory does not grow with the file;
/// XLSX sheets are unpacked whole first (the workbook format needs it), and NDJSON is read
/// twice, first for the keys that make the header and then for the rows.
///
/// Returns the structural errors of the rows not passed on (see [`read_table`]), in the
/// order found.
///
/// # Errors
/// When no table can be read (unreadable workbook, no header, bad header), or when the
/// visitor refuses the header.
///
/// # Examples
/// ```
/// use fangkong_ingest::{visit_rows, FileErrors, Header, RowRef, RowVisitor};
///
/// /// Adds up the `count` column, looked up once.
/// struct Sum { column: usize, total: u64 }
///
/// impl RowVisitor for Sum {
///     fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
///         header.require(&["count"])?;
///         self.column = header.column("count").unwrap_or_default();
///         Ok(())
///     }
///     fn row(&mut self, row: RowRef<'_>) {
///         self.total += row.cell(self.column).parse::<u64>().unwrap_or(0);
///     }
/// }
///
/// let mut sum = Sum { column: 0, total: 0 };
/// let bad = visit_rows("c.csv", b"date,count\n2026-11-30,5\n2026-12-01\n2026-12-02,7\n", &mut sum)
///     .unwrap();
/// assert_eq!(sum.total, 12);
/// assert_eq!(bad[0].to_string(), "line 3: row: expected 2 fields, found 1");
/// ```
pub fn visit_rows<V: RowVisitor>(
    file_name: &str,
    bytes: &[u8],
    visitor: &mut V,
) -> Result<Vec<RowError>, FileErrors> {
    if bytes.starts_with(CFB_MAGIC) {
        return Err(FileErrors::whole_file(
            file_name,
            "old excel .xls files are not supported; save as .xlsx or csv utf-8",
        ));
    }
    let format = Format::detect(file_name, bytes);
    let mut shaper = Shaper::new(file_name, format);
    match format {
        Format::Csv => {
            visitor.reserve(count_lines(bytes));
            read_csv(bytes, &mut shaper, visitor)?;
        }
        Format::Xlsx => {
            let raw = crate::xlsx::read_first_sheet(bytes)
                .map_err(|reason| FileErrors::whole_file(file_name, reason))?;
            visitor.reserve(raw.rows.len());
            shaper.errors.extend(raw.errors);
            let mut buf = RowBuf::default();
            for (line, cells) in raw.rows {
                buf.clear(line);
                for cell in cells {
                    match cell {
                        Cell::Text(text) => buf.push_text(&text),
                        Cell::Bad(reason) => buf.push_bad(reason),
                    }
                }
                buf.hand_over(&mut shaper, visitor)?;
            }
        }
        Format::Ndjson => {
            visitor.reserve(count_lines(bytes));
            crate::ndjson::read(bytes, &mut shaper, visitor)?;
        }
    }
    shaper.finish()
}

/// Rows of cells as found in a workbook, before the header is known.
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

/// The cells of one row as found in the file, before the row is checked against the
/// header: spans into a text held elsewhere. Reused from row to row so that reading costs no
/// allocation per row.
#[derive(Debug, Default)]
pub(crate) struct RowCells {
    pub(crate) line: u64,
    /// One span into the row's text per cell, in column order.
    pub(crate) spans: Vec<Span>,
    /// Cells that cannot be read: column index and reason. Their span is empty.
    pub(crate) bad: Vec<(usize, String)>,
}

impl RowCells {
    fn clear(&mut self, line: u64) {
        self.line = line;
        self.spans.clear();
        self.bad.clear();
    }

    fn cell_is_empty(&self, idx: usize) -> bool {
        self.spans.get(idx).is_none_or(|(s, e)| s == e) && !self.bad.iter().any(|(i, _)| *i == idx)
    }

    fn is_blank(&self) -> bool {
        self.bad.is_empty() && self.spans.iter().all(|(s, e)| s == e)
    }
}

/// A row with its own text: the cells of a workbook or a JSON line.
#[derive(Debug, Default)]
pub(crate) struct RowBuf {
    /// The trimmed text of the cells, one after the other.
    pub(crate) text: String,
    pub(crate) cells: RowCells,
}

impl RowBuf {
    pub(crate) fn clear(&mut self, line: u64) {
        self.text.clear();
        self.cells.clear(line);
    }

    /// Hands the row to the shaper.
    pub(crate) fn hand_over<V: RowVisitor>(
        &mut self,
        shaper: &mut Shaper<'_>,
        visitor: &mut V,
    ) -> Result<(), FileErrors> {
        shaper.accept(&self.text, &mut self.cells, visitor)
    }

    /// Appends a cell, trimmed.
    pub(crate) fn push_text(&mut self, text: &str) {
        let span = self.store(text);
        self.cells.spans.push(span);
    }

    /// Appends a cell that cannot be read.
    pub(crate) fn push_bad(&mut self, reason: String) {
        self.cells.bad.push((self.cells.spans.len(), reason));
        let end = self.text.len();
        self.cells.spans.push((end, end));
    }

    /// Stores text, trimmed, returning its span (for cells set by column index).
    pub(crate) fn store(&mut self, text: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(trim(text));
        (start, self.text.len())
    }
}

/// `str::trim`, skipping the search in the usual case of a cell that starts and ends with
/// a visible ASCII character.
fn trim(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// The span of `text[start..end]` without its surrounding whitespace.
fn trim_span(text: &str, (start, end): Span) -> Span {
    let cell = text.get(start..end).unwrap_or("");
    let trimmed = trim(cell);
    if trimmed.len() == cell.len() {
        return (start, end);
    }
    let leading = cell.len() - cell.trim_start().len();
    (start + leading, start + leading + trimmed.len())
}

/// The cell without the `'` that [`crate::write_csv`] puts before text a spreadsheet would
/// run as a formula (`'=1+1`) or that starts with `'`s before one already (`''=1`), so
/// an exported list reads back as it was.
fn drop_formula_guard(text: &str, (start, end): Span) -> Span {
    let cell = text.get(start..end).unwrap_or("");
    let guarded = cell.starts_with('\'')
        && cell
            .trim_start_matches('\'')
            .as_bytes()
            .first()
            .is_some_and(|b| crate::export::FORMULA_STARTS.contains(b));
    if guarded {
        (start + 1, end)
    } else {
        (start, end)
    }
}

/// About how many data rows a file holds, without parsing it, for a progress bar: the
/// lines after the header for CSV and NDJSON, 0 (unknown) for a workbook.
pub fn estimate_rows(file_name: &str, bytes: &[u8]) -> usize {
    match Format::detect(file_name, bytes) {
        Format::Csv | Format::Ndjson => count_lines(bytes.trim_ascii_end()).saturating_sub(1),
        Format::Xlsx => 0,
    }
}

/// At most how many rows a text file holds: its number of line feeds, plus one.
fn count_lines(bytes: &[u8]) -> usize {
    count_byte(bytes, b'\n') + 1
}

/// How often `needle` occurs in `bytes`.
///
/// Counting in blocks of at most 255 bytes with a byte-wide sum lets the compiler compare
/// and add 16 or more bytes per instruction; `filter().count()` widens every byte to 64
/// bits, which made line counting the slowest step of reading a CSV file.
fn count_byte(bytes: &[u8], needle: u8) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            let n = block
                .iter()
                .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == needle)));
            usize::from(n)
        })
        .sum()
}

/// Turns rows as found into a header and checked rows: the one place where the structural
/// rules of all formats live.
pub(crate) struct Shaper<'f> {
    file: &'f str,
    format: Format,
    header: Option<Header>,
    pub(crate) errors: Vec<RowError>,
}

impl<'f> Shaper<'f> {
    fn new(file: &'f str, format: Format) -> Shaper<'f> {
        Shaper {
            file,
            format,
            header: None,
            errors: Vec::new(),
        }
    }

    pub(crate) fn file(&self) -> &'f str {
        self.file
    }

    /// Sets a header made elsewhere (the keys of an NDJSON file) and passes it on.
    pub(crate) fn set_header<V: RowVisitor>(
        &mut self,
        header: Header,
        visitor: &mut V,
    ) -> Result<(), FileErrors> {
        visitor.header(&header)?;
        self.header = Some(header);
        Ok(())
    }

    /// Takes the next non-blank row of the file: the header if there is none yet, else a
    /// data row that is checked and, if well formed, passed to the visitor.
    pub(crate) fn accept<V: RowVisitor>(
        &mut self,
        text: &str,
        buf: &mut RowCells,
        visitor: &mut V,
    ) -> Result<(), FileErrors> {
        if buf.is_blank() {
            return Ok(());
        }
        let Some(header) = &self.header else {
            let header = self.make_header(text, buf)?;
            return self.set_header(header, visitor);
        };
        let width_expected = header.names.len();
        let width = match self.format {
            Format::Csv | Format::Ndjson => buf.spans.len(),
            // Trailing empty cells of a sheet row are not fields.
            Format::Xlsx => (0..buf.spans.len())
                .rev()
                .find(|&i| !buf.cell_is_empty(i))
                .map_or(0, |i| i + 1),
        };
        let fits = match self.format {
            Format::Csv | Format::Ndjson => width == width_expected,
            Format::Xlsx => width <= width_expected,
        };
        if !fits {
            let reason = match self.format {
                Format::Csv | Format::Ndjson => {
                    format!("expected {width_expected} fields, found {width}")
                }
                Format::Xlsx => format!(
                    "column {width} has a value but the header has {width_expected} columns"
                ),
            };
            self.errors.push(RowError::new(buf.line, ROW_FIELD, reason));
            return Ok(());
        }
        if !buf.bad.is_empty() {
            buf.bad.sort_by_key(|(idx, _)| *idx);
            for (idx, reason) in buf.bad.drain(..) {
                self.errors.push(RowError::new(
                    buf.line,
                    column_label(&header.names, idx),
                    reason,
                ));
            }
            return Ok(());
        }
        buf.spans.resize(width_expected, (0, 0));
        visitor.row(RowRef {
            header,
            line: buf.line,
            text,
            spans: &buf.spans,
        });
        Ok(())
    }

    fn make_header(&self, text: &str, buf: &RowCells) -> Result<Header, FileErrors> {
        let mut header_errors = Collector::new(self.file);
        let mut names: Vec<String> = Vec::with_capacity(buf.spans.len());
        for (idx, &(start, end)) in buf.spans.iter().enumerate() {
            let name = match buf.bad.iter().find(|(i, _)| *i == idx) {
                Some((_, reason)) => {
                    header_errors.push(buf.line, format!("column {}", idx + 1), reason.clone());
                    String::new()
                }
                None => text.get(start..end).unwrap_or("").to_lowercase(),
            };
            if !name.is_empty() {
                if let Some(first) = names.iter().position(|h| *h == name) {
                    header_errors.push(
                        buf.line,
                        name.clone(),
                        format!("column {} repeats column {}", idx + 1, first + 1),
                    );
                }
            }
            names.push(name);
        }
        if self.format == Format::Xlsx {
            // A sheet is a rectangle as wide as its widest row; the table is as wide as its
            // header, and cells to the right of it are checked row by row.
            while names.last().is_some_and(String::is_empty) {
                names.pop();
            }
        }
        header_errors.finish(())?;
        Ok(Header::new(self.file, self.format, buf.line, names))
    }

    /// The structural errors, once the whole file has been read.
    fn finish(self) -> Result<Vec<RowError>, FileErrors> {
        if self.header.is_none() {
            return Err(FileErrors::whole_file(self.file, "file has no header row"));
        }
        Ok(self.errors)
    }
}

/// The header name of column `idx`, or `column N` when the header cell is empty.
fn column_label(headers: &[String], idx: usize) -> String {
    match headers.get(idx) {
        Some(h) if !h.is_empty() => h.clone(),
        _ => format!("column {}", idx + 1),
    }
}

/// Splits CSV bytes into rows of trimmed cells, each with the line where its record starts,
/// and hands them to the shaper.
///
/// # Errors
/// Only the header errors of the shaper or the visitor; every problem of a data row is a
/// row error.
fn read_csv<V: RowVisitor>(
    bytes: &[u8],
    shaper: &mut Shaper<'_>,
    visitor: &mut V,
) -> Result<(), FileErrors> {
    if UTF16_BOMS.iter().any(|bom| bytes.starts_with(bom)) {
        return Err(FileErrors::whole_file(shaper.file(), UTF16));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::default();
    let mut consumed = 0usize;
    let mut cells = RowCells::default();
    // Rows with a field that is not UTF-8 are rare; their good cells are copied here.
    let mut fallback = RowBuf::default();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Reading from a slice cannot fail with IO, and flexible records cannot
                // have unequal lengths; anything else still names the line.
                let line = lines.line_at(bytes, first_content(bytes, consumed));
                shaper
                    .errors
                    .push(RowError::new(line, ROW_FIELD, csv_reason(&e)));
                break;
            }
        }
        // csv's own `Position::line` lags behind CRLF ends and skipped blank lines, so the
        // record's first line is counted here: the record starts at the first byte after
        // the previous record that is not a line end.
        let start = first_content(bytes, consumed);
        consumed = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
        let line = lines.line_at(bytes, start);
        // The fields lie one after another in one buffer: validate it once, then check that
        // no field boundary splits a character (valid halves can join into a valid whole).
        let whole = std::str::from_utf8(record.as_slice()).ok().filter(|text| {
            (0..record.len()).all(|i| {
                record
                    .range(i)
                    .is_some_and(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
            })
        });
        if let Some(text) = whole {
            cells.clear(line);
            for i in 0..record.len() {
                let span = record.range(i).map_or((0, 0), |r| (r.start, r.end));
                cells
                    .spans
                    .push(trim_span(text, drop_formula_guard(text, span)));
            }
            shaper.accept(text, &mut cells, visitor)?;
        } else {
            fallback.clear(line);
            for field in &record {
                match std::str::from_utf8(field) {
                    Ok(text) => fallback.push_text(text),
                    Err(_) => fallback.push_bad(NOT_UTF8.to_string()),
                }
            }
            fallback.hand_over(shaper, visitor)?;
        }
    }
    Ok(())
}

/// The offset of the first byte at or after `from` that is not `\r` or `\n`.
fn first_content(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| *b != b'\r' && *b != b'\n'))
        .map_or(bytes.len(), |i| from + i)
}

/// Counts lines forward through a text, for offsets that never decrease.
///
/// A line ends at `\n`, `\r\n`, or a lone `\r` (the line end of CSV files from classic Mac
/// Excel).
#[derive(Debug)]
struct LineCounter {
    /// Every line break ending before this offset has been counted.
    offset: usize,
    /// The line of `offset`.
    line: u64,
}

impl Default for LineCounter {
    fn default() -> LineCounter {
        LineCounter { offset: 0, line: 1 }
    }
}

impl LineCounter {
    /// The 1-based line of the byte at `offset`, which must not be before the offset of
    /// the previous call.
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        if offset > self.offset {
            let from = self.offset;
            let chunk = bytes.get(from..offset).unwrap_or(&[]);
            let mut n = count_byte(chunk, b'\n');
            // Most files have no `\r` at all; `contains` on bytes is a fast search.
            if chunk.contains(&b'\r') {
                n += chunk
                    .iter()
                    .enumerate()
                    .filter(|&(i, b)| *b == b'\r' && bytes.get(from + i + 1) != Some(&b'\n'))
                    .count();
            }
            self.line += n as u64;
            self.offset = offset;
        }
        self.line
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        _ => "the csv text cannot be read".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counter_agrees_with_counting_from_the_start() {
        let text = b"a\r\nb\rc\n\nd\r\r\ne\n\r";
        for step in 1..text.len() {
            let mut counter = LineCounter::default();
            let mut offset = 0;
            while offset <= text.len() {
                let slow = 1
                    + (0..offset)
                        .filter(|&i| {
                            text[i] == b'\n'
                                || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n'))
                        })
                        .count() as u64;
                assert_eq!(counter.line_at(text, offset), slow, "offset {offset}");
                offset += step;
            }
        }
    }

    #[test]
    fn detection_prefers_content_to_the_name() {
        assert_eq!(Format::detect("a.csv", b"PK\x03\x04"), Format::Xlsx);
        assert_eq!(
            Format::detect("a.csv", b"\xEF\xBB\xBF \n {\"a\":1}"),
            Format::Ndjson
        );
        assert_eq!(Format::detect("a.xlsx", b"{}"), Format::Ndjson);
        assert_eq!(Format::detect("a.XLSX", b"a,b"), Format::Xlsx);
        assert_eq!(Format::detect("a.JSONL", b""), Format::Ndjson);
        assert_eq!(Format::detect("a.ndjson", b"a,b"), Format::Ndjson);
        assert_eq!(Format::detect("a.txt", b"a,{"), Format::Csv);
    }

    #[test]
    fn byte_counts_cross_blocks() {
        let text: Vec<u8> = (0..2000)
            .map(|i| if i % 3 == 0 { b'\n' } else { b'a' })
            .collect();
        for len in [0, 1, 254, 255, 256, 766, 2000] {
            let slow = text[..len].iter().filter(|b| **b == b'\n').count();
            assert_eq!(count_byte(&text[..len], b'\n'), slow, "{len}");
        }
        assert_eq!(count_byte(&[b'\n'; 1000], b'\n'), 1000);
    }

    #[test]
    fn trimming_agrees_with_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a ",
            "a b",
            "\u{3000}张三\u{a0}",
            "\ta\r",
            "é",
            "x\u{85}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
            let (s, e) = trim_span(text, (0, text.len()));
            assert_eq!(&text[s..e], text.trim(), "{text:?}");
        }
    }

    #[test]
    fn names_are_borrowed_when_already_normal() {
        assert!(matches!(
            normalise_name("tube_id"),
            Cow::Borrowed("tube_id")
        ));
        assert_eq!(normalise_name(" Tube_ID "), "tube_id");
        assert_eq!(normalise_name("ÄB"), "äb");
    }
}
