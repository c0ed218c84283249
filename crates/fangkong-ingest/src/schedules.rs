//! Member lists of key populations (medical staff, cold-chain workers...): one person per
//! row, identified by document, as offices exchange them in CSV, XLSX or NDJSON.

use fangkong_domain::Document;

use crate::error::{Collector, FileErrors};
use crate::identity::IdentityColumns;
use crate::table::{visit_rows, Header, RowRef, RowVisitor};

/// One member row: the line it came from and the person's document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub line: u64,
    pub document: Document,
}

/// Parses a member list; all or nothing.
///
/// Columns: identity as [`crate::parse_persons`] reads it (`id_number`, or
/// `document_kind` + `document_number` + `nationality`); other columns (a name, a work
/// unit) are allowed and ignored. A person listed twice is an error naming the first line.
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`]; no
/// reason contains the value itself.
///
/// # Examples
/// ```
/// let csv = "name,id_number\n张三,11010519491231002X\n";
/// let members = fangkong_ingest::parse_members("staff.csv", csv.as_bytes()).unwrap();
/// assert_eq!(members[0].line, 2);
/// ```
pub fn parse_members(file_name: &str, bytes: &[u8]) -> Result<Vec<MemberRecord>, FileErrors> {
    let mut reader = MemberReader {
        identity: None,
        errors: Collector::new(file_name),
        records: Vec::new(),
        seen: std::collections::HashMap::new(),
    };
    let structural = visit_rows(file_name, bytes, &mut reader)?;
    reader.errors.extend(structural);
    reader.errors.finish(reader.records)
}

struct MemberReader {
    identity: Option<IdentityColumns>,
    errors: Collector,
    records: Vec<MemberRecord>,
    seen: std::collections::HashMap<Document, u64>,
}

impl RowVisitor for MemberReader {
    fn header(&mut self, header: &Header) -> Result<(), FileErrors> {
        let mut errors = Collector::new(header.file_name());
        let identity = IdentityColumns::find(header, &mut errors);
        self.identity = Some(identity);
        errors.finish(())
    }

    fn reserve(&mut self, rows: usize) {
        self.records.reserve(rows);
    }

    fn row(&mut self, row: RowRef<'_>) {
        let Some(identity) = &self.identity else {
            return;
        };
        let Some(document) = identity.read(&mut self.errors, &row) else {
            return;
        };
        let line = row.line();
        if let Some(first) = self.seen.get(&document) {
            let field = identity.field(&row, &document);
            self.errors
                .push(line, field, format!("the same person is on line {first}"));
            return;
        }
        self.seen.insert(document.clone(), line);
        self.records.push(MemberRecord { line, document });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_or_repeated_document_names_line_and_field() {
        let csv = "id_number\n11010519491231002X\n110105194912310021\n11010519491231002X\n";
        let err = parse_members("m.csv", csv.as_bytes()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("m.csv:3: id_number:"), "{text}");
        assert!(
            text.contains("m.csv:4: id_number: the same person is on line 2"),
            "{text}"
        );
        assert_eq!(err.errors.len(), 2);
    }

    #[test]
    fn a_missing_identity_column_is_reported() {
        let err = parse_members("m.csv", b"name\nx\n").unwrap_err();
        assert_eq!(err.errors[0].line, 1);
    }
}
