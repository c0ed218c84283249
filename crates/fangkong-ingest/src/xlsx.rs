//! Cells of the first worksheet of an XLSX workbook, as text.
//!
//! Counties exchange lists as Excel workbooks as often as CSV. This module turns the first
//! worksheet into the same rows of text [`crate::table`] makes from CSV, so the record
//! parsers never see a cell type: integral numbers lose Excel's `.0`, dates become
//! `YYYY-MM-DD`. It must not interpret values beyond that, and it reads only the bytes it is
//! given (calamine reads the ZIP archive from memory).

use std::io::Cursor;

use calamine::{Data, Reader, SheetType, Xlsx};

use crate::table::{Cell, RawTable};

// Excel keeps 15 significant digits; a longer number (an 18-digit ID number typed into a
// cell formatted as "General") has already lost its last digits.
const EXCEL_EXACT_LIMIT: f64 = 1e15;

/// Reads the first worksheet into rows of cells, skipping rows whose cells are all empty.
///
/// Each row carries its sheet row number (1-based), so errors point at the row a person
/// sees in Excel.
///
/// # Errors
/// The reason, when the bytes are not a readable workbook or it has no worksheet. The reason
/// never quotes the workbook's content.
pub(crate) fn read_first_sheet(bytes: &[u8]) -> Result<RawTable, String> {
    // calamine 0.38 can panic on some damaged workbooks (found by the no_panic property
    // test: an index out of bounds in its XML reader). A damaged upload must be a clear
    // error, never a crashed request, so the reading is fenced. The default panic hook still
    // prints the panic once to stderr; the answer to the caller is the error below.
    std::panic::catch_unwind(|| read_first_sheet_unfenced(bytes))
        .unwrap_or_else(|_| Err("not a readable xlsx workbook (the file is damaged)".to_string()))
}

fn read_first_sheet_unfenced(bytes: &[u8]) -> Result<RawTable, String> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|_| "not a readable xlsx workbook".to_string())?;
    let name = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or_else(|| "workbook has no worksheet".to_string())?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|_| "the first worksheet cannot be read".to_string())?;
    let mut raw = RawTable::default();
    let Some((first_row, _)) = range.start() else {
        return Ok(raw);
    };
    for (offset, row) in (0u64..).zip(range.rows()) {
        let cells: Vec<Cell> = row.iter().map(cell_text).collect();
        if cells
            .iter()
            .all(|c| matches!(c, Cell::Text(t) if t.is_empty()))
        {
            continue;
        }
        raw.rows.push((u64::from(first_row) + offset + 1, cells));
    }
    Ok(raw)
}

/// The text of one cell, or why it cannot be used.
fn cell_text(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Text(String::new()),
        Data::String(s) => Cell::Text(s.trim().to_string()),
        Data::Bool(b) => Cell::Text(b.to_string()),
        #[allow(clippy::cast_precision_loss)] // Only the magnitude is compared.
        Data::Int(i) => number_text(*i as f64),
        Data::Float(f) => number_text(*f),
        Data::DateTime(dt) if dt.is_duration() => number_text(dt.as_f64()),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _ms) = dt.to_ymd_hms_milli();
            let text = if dt.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            };
            Cell::Text(text)
        }
        Data::DateTimeIso(s) => {
            let s = s.trim();
            Cell::Text(s.strip_suffix("T00:00:00").unwrap_or(s).to_string())
        }
        Data::DurationIso(s) => Cell::Text(s.trim().to_string()),
        Data::Error(e) => Cell::Bad(format!("cell holds the excel error {e}")),
    }
}

/// A number as text: integral values without a fractional part, others in the shortest form
/// that reads back to the same value.
fn number_text(f: f64) -> Cell {
    if !f.is_finite() {
        return Cell::Bad("cell holds a number that is not finite".to_string());
    }
    if f.abs() >= EXCEL_EXACT_LIMIT {
        return Cell::Bad(
            "number has more than 15 digits, which excel does not keep; \
             format the column as text and enter the value again"
                .to_string(),
        );
    }
    if f.fract() == 0.0 {
        // |f| < 1e15, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        Cell::Text(i.to_string())
    } else {
        Cell::Text(f.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: Cell) -> String {
        match cell {
            Cell::Text(t) => t,
            Cell::Bad(reason) => format!("bad: {reason}"),
        }
    }

    #[test]
    fn numbers_lose_the_integral_fraction_only() {
        assert_eq!(text(number_text(41.0)), "41");
        assert_eq!(text(number_text(-3.0)), "-3");
        assert_eq!(text(number_text(1.5)), "1.5");
        assert_eq!(text(number_text(0.1)), "0.1");
        assert_eq!(text(number_text(999_999_999_999_999.0)), "999999999999999");
        assert!(text(number_text(410_102_199_003_071_230.0)).starts_with("bad: number has more"));
        assert!(text(number_text(f64::NAN)).starts_with("bad:"));
    }

    #[test]
    fn error_cells_are_reported_and_dates_keep_their_time() {
        use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
        assert_eq!(
            text(cell_text(&Data::Error(CellErrorType::NA))),
            "bad: cell holds the excel error #N/A"
        );
        let at = |serial| {
            Data::DateTime(ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                false,
            ))
        };
        assert_eq!(text(cell_text(&at(32939.0))), "1990-03-07");
        assert_eq!(text(cell_text(&at(32939.5))), "1990-03-07 12:00:00");
        assert_eq!(text(cell_text(&at(0.25))), "06:00:00");
        assert_eq!(
            text(cell_text(&Data::DateTimeIso("1990-03-07T00:00:00".into()))),
            "1990-03-07"
        );
        assert_eq!(text(cell_text(&Data::Int(41))), "41");
        assert_eq!(text(cell_text(&Data::Bool(true))), "true");
    }
}
