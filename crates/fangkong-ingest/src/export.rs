//! CSV and XLSX export: the bytes of a table that Excel opens correctly.
//!
//! Exports go to people who open them in Excel on Chinese Windows. Excel reads a CSV file
//! without a byte order mark in the system code page (GBK), which garbles every Chinese
//! character; with the UTF-8 byte order mark it reads UTF-8. So every export starts with the
//! mark, and [`crate::read_table`] drops it again on import. An XLSX export keeps numbers as
//! numbers (sums and filters work) and text as text (a tube code `00123` keeps its zeros).
//! This module only formats: it does not choose columns, mask values or decide who may export.

const UTF8_BOM: &str = "\u{feff}";

/// The first characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV
/// injection"): `=1+1`, `+cmd|' /C calc'!A0`, `-2+3`, `@SUM(A1)`, and a tab or carriage
/// return before one of them.
pub(crate) const FORMULA_STARTS: &[u8] = b"=+-@\t\r";

/// Writes a header and rows as CSV: UTF-8 with a byte order mark, CRLF line ends (RFC 4180),
/// and fields quoted when they contain a comma, a quote or a line break.
///
/// A field that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return, and is not a plain number like `-3.5`) gets a leading `'`, so
/// Excel shows it as text: a name registered as `=HYPERLINK(..)` cannot become a live link
/// or command in the office that opens the export. [`crate::read_table`] drops that `'`
/// again, so an exported CSV imports as it was.
///
/// Rows are written as given, so a row may have fewer or more fields than the header.
///
/// # Examples
/// ```
/// let bytes = fangkong_ingest::write_csv(
///     &["code", "name"],
///     [vec!["41".to_string(), "河南省, \"豫\"".to_string()]].into_iter(),
/// );
/// assert_eq!(
///     String::from_utf8(bytes).unwrap(),
///     "\u{feff}code,name\r\n41,\"河南省, \"\"豫\"\"\"\r\n"
/// );
/// ```
pub fn write_csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = String::from(UTF8_BOM);
    write_record(&mut out, header.iter().copied());
    for row in rows {
        write_record(&mut out, row.iter().map(String::as_str));
    }
    out.into_bytes()
}

/// Whether `field` needs the `'` guard: a spreadsheet would read it as a formula (it starts
/// with `=`, `+`, `-` or `@`, maybe after tabs and carriage returns, has more after it and
/// is not a plain number), or it already starts with `'`s before a formula character (so that import, which
/// drops one `'`, gives it back as it was).
fn is_formula_like(field: &str) -> bool {
    let unquoted = field.trim_start_matches('\'');
    if unquoted.len() < field.len() {
        return unquoted
            .as_bytes()
            .first()
            .is_some_and(|b| FORMULA_STARTS.contains(b));
    }
    // A lone `-` (the usual placeholder of an empty value) or `=` is no formula.
    let start = field.trim_start_matches(['\t', '\r']);
    start.starts_with(['=', '+', '-', '@']) && start.len() > 1 && field.parse::<f64>().is_err()
}

fn write_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let guarded;
        let field = if is_formula_like(field) {
            guarded = format!("'{field}");
            guarded.as_str()
        } else {
            field
        };
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

/// One cell of an XLSX export.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCell {
    /// Written as a string cell, never converted to a number.
    Text(String),
    /// Written as a number cell.
    Number(f64),
    /// Left blank.
    Empty,
}

impl From<String> for ExportCell {
    fn from(s: String) -> ExportCell {
        ExportCell::Text(s)
    }
}

impl From<&str> for ExportCell {
    fn from(s: &str) -> ExportCell {
        ExportCell::Text(s.to_string())
    }
}

impl From<f64> for ExportCell {
    fn from(n: f64) -> ExportCell {
        ExportCell::Number(n)
    }
}

impl From<i64> for ExportCell {
    // Counts and ids shown in exports stay far below 2^53, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    fn from(n: i64) -> ExportCell {
        ExportCell::Number(n as f64)
    }
}

impl From<u64> for ExportCell {
    #[allow(clippy::cast_precision_loss)]
    fn from(n: u64) -> ExportCell {
        ExportCell::Number(n as f64)
    }
}

impl<T: Into<ExportCell>> From<Option<T>> for ExportCell {
    fn from(v: Option<T>) -> ExportCell {
        v.map_or(ExportCell::Empty, Into::into)
    }
}

/// One worksheet of an XLSX export: a name, a header row and data rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// At most 31 characters, none of `[]:*?/\`.
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<ExportCell>>,
}

/// Why an XLSX export could not be written (a sheet name Excel refuses, a text longer than
/// 32,767 characters, more than 1,048,576 rows).
#[derive(Debug, thiserror::Error)]
#[error("writing xlsx: {0}")]
pub struct XlsxExportError(#[from] rust_xlsxwriter::XlsxError);

/// Writes a header and rows as a one-sheet XLSX workbook: the header in bold and frozen,
/// text cells as text and numbers as numbers.
///
/// # Errors
/// As [`write_workbook`].
///
/// # Examples
/// ```
/// use fangkong_ingest::export::{write_xlsx, ExportCell};
/// let bytes = write_xlsx(
///     "coverage",
///     &["code", "sampled"],
///     [vec![ExportCell::from("411702"), ExportCell::from(12_i64)]].into_iter(),
/// )
/// .unwrap();
/// assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
/// ```
pub fn write_xlsx(
    sheet_name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<ExportCell>>,
) -> Result<Vec<u8>, XlsxExportError> {
    write_workbook(&[Sheet {
        name: sheet_name.to_string(),
        header: header.iter().map(ToString::to_string).collect(),
        rows: rows.collect(),
    }])
}

/// Writes several sheets into one XLSX workbook, in order.
///
/// # Errors
/// [`XlsxExportError`] when Excel's limits refuse a sheet name, a cell or the row count.
pub fn write_workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxExportError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name.as_str())?;
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, col(c)?, h.as_str(), &bold)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1)
                .map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    ExportCell::Text(s) => {
                        ws.write_string(r, col(c)?, s.as_str())?;
                    }
                    ExportCell::Number(n) => {
                        ws.write_number(r, col(c)?, *n)?;
                    }
                    ExportCell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
    }
    Ok(book.save_to_buffer()?)
}

/// The format of an exported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// Parses `csv` or `xlsx` (any case).
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    /// XLSX for a file name ending in `.xlsx` (any case), else CSV.
    pub fn of_file_name(name: &str) -> ExportFormat {
        if name.to_ascii_lowercase().ends_with(".xlsx") {
            ExportFormat::Xlsx
        } else {
            ExportFormat::Csv
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// Writes one table as CSV ([`write_csv`]: numbers as their shortest text, empty cells
/// empty) or as a one-sheet XLSX workbook ([`write_xlsx`]), so every export offers both with
/// the same columns. Imports read both back through [`crate::read_table`].
///
/// # Errors
/// As [`write_workbook`] for XLSX; CSV cannot fail.
///
/// # Examples
/// ```
/// use fangkong_ingest::export::{write_table, ExportCell, ExportFormat};
/// let rows = || [vec![ExportCell::from("00123"), ExportCell::from(2_i64)]].into_iter();
/// let csv = write_table(ExportFormat::Csv, "t", &["tube", "n"], rows()).unwrap();
/// assert_eq!(String::from_utf8(csv).unwrap(), "\u{feff}tube,n\r\n00123,2\r\n");
/// let xlsx = write_table(ExportFormat::Xlsx, "t", &["tube", "n"], rows()).unwrap();
/// assert!(xlsx.starts_with(b"PK"));
/// ```
pub fn write_table(
    format: ExportFormat,
    sheet_name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<ExportCell>>,
) -> Result<Vec<u8>, XlsxExportError> {
    match format {
        ExportFormat::Xlsx => write_xlsx(sheet_name, header, rows),
        ExportFormat::Csv => Ok(write_csv(
            header,
            rows.map(|row| row.into_iter().map(cell_text).collect()),
        )),
    }
}

fn cell_text(cell: ExportCell) -> String {
    match cell {
        ExportCell::Text(s) => s,
        ExportCell::Number(n) => n.to_string(),
        ExportCell::Empty => String::new(),
    }
}

fn col(c: usize) -> Result<u16, rust_xlsxwriter::XlsxError> {
    u16::try_from(c).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<Data>>)> {
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        names
            .into_iter()
            .map(|n| {
                let range = book.worksheet_range(&n).unwrap();
                let rows = range.rows().map(<[Data]>::to_vec).collect();
                (n, rows)
            })
            .collect()
    }

    #[test]
    fn xlsx_reads_back_with_text_numbers_and_blanks() {
        let bytes = write_xlsx(
            "未采样",
            &["code", "name", "sampled", "share"],
            [
                vec![
                    "00123".into(),
                    "驿城区, \"豫\"".into(),
                    12_i64.into(),
                    0.5.into(),
                ],
                vec![
                    "411702".into(),
                    ExportCell::Empty,
                    7_u64.into(),
                    None::<f64>.into(),
                ],
            ]
            .into_iter(),
        )
        .unwrap();
        let sheets = read_back(bytes);
        assert_eq!(sheets.len(), 1);
        let (name, rows) = &sheets[0];
        assert_eq!(name, "未采样");
        let s = |v: &str| Data::String(v.to_string());
        assert_eq!(rows[0], [s("code"), s("name"), s("sampled"), s("share")]);
        assert_eq!(
            rows[1],
            [
                s("00123"),
                s("驿城区, \"豫\""),
                Data::Float(12.0),
                Data::Float(0.5)
            ]
        );
        assert_eq!(
            rows[2],
            [s("411702"), Data::Empty, Data::Float(7.0), Data::Empty]
        );
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn a_workbook_keeps_its_sheets_in_order_and_refuses_bad_names() {
        let sheet = |name: &str, n: i64| Sheet {
            name: name.to_string(),
            header: vec!["n".to_string()],
            rows: (0..n).map(|i| vec![i.into()]).collect(),
        };
        let sheets =
            read_back(write_workbook(&[sheet("labs", 2), sheet("pool_advice", 0)]).unwrap());
        let names: Vec<_> = sheets.iter().map(|(n, r)| (n.as_str(), r.len())).collect();
        assert_eq!(names, [("labs", 3), ("pool_advice", 1)]);
        let err = write_workbook(&[sheet("a/b", 1)]).unwrap_err();
        assert!(err.to_string().starts_with("writing xlsx: "), "{err}");
    }
}
