//! The identity columns every list of persons shares: a mainland ID number, or a document
//! kind, number and nationality.
//!
//! Person lists, sample collections and (later) contact lists all name people the same way,
//! so they read identities with this one function and report the same errors. Its reasons
//! never quote the number or any part of it (region code, birth date). It does not decide
//! whether two rows are the same person beyond comparing documents.

use fangkong_domain::{Document, DocumentError, DocumentKind, NationalId, NationalIdError};

use crate::error::Collector;
use crate::table::{Header, RowRef};

/// Where the identity columns are in a table; found once per file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdentityColumns {
    id_number: Option<usize>,
    document_kind: Option<usize>,
    document_number: Option<usize>,
    nationality: Option<usize>,
}

impl IdentityColumns {
    /// Finds the columns, recording an error on the header line when neither `id_number`
    /// nor `document_number` is present.
    pub(crate) fn find(header: &Header, errors: &mut Collector) -> IdentityColumns {
        let columns = IdentityColumns {
            id_number: header.column("id_number"),
            document_kind: header.column("document_kind"),
            document_number: header.column("document_number"),
            nationality: header.column("nationality"),
        };
        if columns.id_number.is_none() && columns.document_number.is_none() {
            errors.push(
                header.line(),
                "id_number",
                "required column is missing (or document_kind and document_number)",
            );
        }
        columns
    }

    /// The column a row's document number came from, for error messages.
    pub(crate) fn field(&self, row: &RowRef<'_>, document: &Document) -> &'static str {
        match document {
            Document::MainlandId(_) if row.cell_value(self.id_number).is_some() => "id_number",
            _ => "document_number",
        }
    }

    /// Reads the identity document of a row, recording what is wrong; `None` if anything
    /// was.
    ///
    /// A row whose `document_kind` is empty or `mainland_id` takes its mainland ID from
    /// `id_number` or `document_number` (both given must agree); other kinds need
    /// `document_number`, and `nationality` unless the kind implies China.
    pub(crate) fn read(&self, errors: &mut Collector, row: &RowRef<'_>) -> Option<Document> {
        let line = row.line();
        let kind = match row.cell_value(self.document_kind) {
            None => DocumentKind::MainlandId,
            Some(text) => {
                let lower = if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    text.to_ascii_lowercase().into()
                } else {
                    std::borrow::Cow::Borrowed(text)
                };
                match DocumentKind::parse(&lower) {
                    Some(kind) => kind,
                    None => {
                        // The unknown text is not echoed: a shifted column would put an ID
                        // number here.
                        let known: Vec<&str> =
                            DocumentKind::ALL.iter().map(|k| k.as_str()).collect();
                        errors.push(
                            line,
                            "document_kind",
                            format!(
                                "unknown document kind, expected one of {}",
                                known.join(", ")
                            ),
                        );
                        return None;
                    }
                }
            }
        };
        let id_number = row.cell_value(self.id_number);
        let document_number = row.cell_value(self.document_number);
        if kind == DocumentKind::MainlandId {
            let (field, number) = match (id_number, document_number) {
                (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
                    errors.push(line, "document_number", "differs from id_number");
                    return None;
                }
                (Some(a), _) => ("id_number", a),
                (None, Some(b)) => ("document_number", b),
                (None, None) => {
                    let field = if self.id_number.is_some() {
                        "id_number"
                    } else {
                        "document_number"
                    };
                    errors.push(line, field, "is required");
                    return None;
                }
            };
            return match NationalId::parse(number) {
                Ok(id) => Some(Document::MainlandId(id)),
                Err(e) => {
                    errors.push(line, field, national_id_reason(&e));
                    None
                }
            };
        }
        let Some(number) = document_number else {
            errors.push(
                line,
                "document_number",
                format!("is required for document kind {}", kind.as_str()),
            );
            return None;
        };
        match Document::parse(kind, number, row.cell_value(self.nationality)) {
            Ok(document) => Some(document),
            Err(e) => {
                let field = match e {
                    DocumentError::Nationality => "nationality",
                    DocumentError::Kind(_) => "document_kind",
                    DocumentError::Number | DocumentError::NationalId(_) => "document_number",
                };
                errors.push(line, field, document_reason(&e));
                None
            }
        }
    }
}

/// Whether two documents name the same person: the same kind and number, as the blind
/// index compares them ([`Document::index_text`]), without building that text.
pub(crate) fn same_document(a: &Document, b: &Document) -> bool {
    match (a, b) {
        (Document::MainlandId(a), Document::MainlandId(b)) => a == b,
        (
            Document::Other {
                kind: kind_a,
                number: number_a,
                ..
            },
            Document::Other {
                kind: kind_b,
                number: number_b,
                ..
            },
        ) => kind_a == kind_b && number_a == number_b,
        _ => false,
    }
}

/// The text of an ID number error, without the digits some variants quote.
///
/// `NationalIdError`'s `Region` and `BirthDate` variants carry part of the number (the
/// region code and the birth date), which is personal data; say which characters are wrong
/// instead, whatever the domain crate's message says.
pub(crate) fn national_id_reason(e: &NationalIdError) -> String {
    match e {
        NationalIdError::Region(_) => "characters 1-2 are not a province code".to_string(),
        NationalIdError::BirthDate(_) => "characters 7-14 are not a valid birth date".to_string(),
        NationalIdError::Length(_)
        | NationalIdError::NotDigit { .. }
        | NationalIdError::CheckDigit { .. } => e.to_string(),
    }
}

fn document_reason(e: &DocumentError) -> String {
    match e {
        DocumentError::NationalId(e) => national_id_reason(e),
        DocumentError::Kind(_) => "unknown document kind".to_string(),
        DocumentError::Number | DocumentError::Nationality => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_reasons_never_quote_digits() {
        let reasons = [
            national_id_reason(&NationalIdError::Region("990102".into())),
            national_id_reason(&NationalIdError::BirthDate("19900230".into())),
        ];
        for reason in reasons {
            assert!(
                !reason.contains("990102") && !reason.contains("19900230"),
                "{reason}"
            );
        }
    }
}
