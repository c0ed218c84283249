//! Row errors: what is wrong with which value, on which line of which file.
//!
//! An import is all or nothing, so the person fixing a file needs every problem at once,
//! each pointing at a line and a field: `persons.csv:118: id_number: check digit is 3,
//! expected X`. This module holds those two types and the collector the parsers share.
//!
//! A reason must never contain the personal data it complains about (no ID number, phone
//! number, name or address): error texts end up in logs, screenshots and support tickets.

use std::fmt;

/// The field name used for errors about a row as a whole (for example a wrong number of
/// fields).
pub const ROW_FIELD: &str = "row";
/// The field name used for errors about the file as a whole (line 0).
pub const FILE_FIELD: &str = "file";

/// One bad value: the line it is on, the field (column or JSON path) and what is wrong.
///
/// `line` is 1-based; line 0 means the file as a whole (for example an unreadable workbook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The 1-based line where the record starts, or 0 for the whole file.
    pub line: u64,
    /// The column name (lowercase, as in the header), a JSON path, or [`ROW_FIELD`] /
    /// [`FILE_FIELD`].
    pub field: String,
    /// What is wrong: lowercase, no trailing period, never the personal data itself.
    pub reason: String,
}

impl RowError {
    /// Builds an error from its parts.
    pub fn new(line: u64, field: impl Into<String>, reason: impl Into<String>) -> RowError {
        RowError {
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    /// `line 118: id_number: check digit is 3, expected X`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Every bad value found in one file, in line order.
///
/// `Display` prints one error per line as `{file}:{line}: {field}: {reason}`; an error about
/// the whole file (line 0) prints as `{file}: {field}: {reason}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileErrors {
    /// The file name the caller passed in, used only in messages.
    pub file: String,
    /// At least one error, sorted by line (errors on the same line keep their field order).
    pub errors: Vec<RowError>,
}

impl FileErrors {
    /// Builds the errors of `file` from one error about the whole file.
    pub fn whole_file(file: &str, reason: impl Into<String>) -> FileErrors {
        FileErrors {
            file: file.to_string(),
            errors: vec![RowError::new(0, FILE_FIELD, reason)],
        }
    }
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            if e.line == 0 {
                write!(f, "{}: {}: {}", self.file, e.field, e.reason)?;
            } else {
                write!(f, "{}:{}: {}: {}", self.file, e.line, e.field, e.reason)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FileErrors {}

/// Collects the errors of one file while a parser walks it.
#[derive(Debug)]
pub(crate) struct Collector {
    file: String,
    errors: Vec<RowError>,
}

impl Collector {
    pub(crate) fn new(file: &str) -> Collector {
        Collector {
            file: file.to_string(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, line: u64, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(RowError::new(line, field, reason));
    }

    pub(crate) fn extend(&mut self, errors: impl IntoIterator<Item = RowError>) {
        self.errors.extend(errors);
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    /// `Ok(value)` when nothing was collected, else every error sorted by line.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, FileErrors> {
        if self.errors.is_empty() {
            return Ok(value);
        }
        let file = self.file.clone();
        Err(FileErrors {
            file,
            errors: self.into_sorted(),
        })
    }

    /// Every error collected, sorted by line, for parsers that keep the valid rows.
    pub(crate) fn into_sorted(self) -> Vec<RowError> {
        let mut errors = self.errors;
        // A stable sort keeps the field order within a line.
        errors.sort_by_key(|e| e.line);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let errors = FileErrors {
            file: "persons.csv".to_string(),
            errors: vec![
                RowError::new(0, FILE_FIELD, "not a readable xlsx workbook"),
                RowError::new(118, "id_number", "check digit is 3, expected X"),
            ],
        };
        assert_eq!(
            errors.to_string(),
            "persons.csv: file: not a readable xlsx workbook\n\
             persons.csv:118: id_number: check digit is 3, expected X"
        );
        assert_eq!(
            errors.errors[1].to_string(),
            "line 118: id_number: check digit is 3, expected X"
        );
    }

    #[test]
    fn collector_sorts_by_line_and_keeps_field_order() {
        let mut c = Collector::new("f.csv");
        c.push(5, "b", "x");
        c.push(2, "a", "y");
        c.push(5, "a", "z");
        let Err(e) = c.finish(()) else {
            panic!("expected errors")
        };
        let order: Vec<_> = e
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(order, [(2, "a"), (5, "b"), (5, "a")]);
    }
}
