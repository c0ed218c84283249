//! CSV export: the bytes of a table that Excel opens correctly.
//!
//! Exports go to people who open them in Excel on Chinese Windows. Excel reads a CSV file
//! without a byte order mark in the system code page (GBK), which garbles every Chinese
//! character; with the UTF-8 byte order mark it reads UTF-8. So every export starts with the
//! mark, and [`crate::read_table`] drops it again on import. This module only formats: it
//! does not choose columns, mask values or decide who may export.

const UTF8_BOM: &str = "\u{feff}";

/// Writes a header and rows as CSV: UTF-8 with a byte order mark, CRLF line ends (RFC 4180),
/// and fields quoted when they contain a comma, a quote or a line break.
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

fn write_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
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
