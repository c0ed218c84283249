//! Identity documents: the mainland resident ID and the documents of people without one.
//!
//! People without a mainland ID number (foreign nationals, residents of Hong Kong, Macao and
//! Taiwan) are first-class: their document kind, number and nationality are their identity.

use std::fmt;

use crate::national_id::{NationalId, NationalIdError};

/// The kind of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// 居民身份证 (GB 11643).
    MainlandId,
    /// 护照.
    Passport,
    /// 港澳居民来往内地通行证.
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanPermit,
    /// 外国人永久居留身份证.
    ForeignPermanentResidence,
}

impl DocumentKind {
    /// Every kind, in display order.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::MainlandId,
        DocumentKind::Passport,
        DocumentKind::HkMacaoPermit,
        DocumentKind::TaiwanPermit,
        DocumentKind::ForeignPermanentResidence,
    ];

    /// The stable identifier used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::MainlandId => "mainland_id",
            DocumentKind::Passport => "passport",
            DocumentKind::HkMacaoPermit => "hk_macao_permit",
            DocumentKind::TaiwanPermit => "taiwan_permit",
            DocumentKind::ForeignPermanentResidence => "foreign_permanent_residence",
        }
    }

    /// Parses the identifier returned by [`DocumentKind::as_str`].
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// Why a document is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    NationalId(#[from] NationalIdError),
    #[error("document number must be 5 to 20 letters or digits")]
    Number,
    #[error("nationality must be a 3-letter ISO 3166-1 alpha-3 code")]
    Nationality,
    #[error("unknown document kind {0:?}")]
    Kind(String),
}

/// A validated identity document.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Document {
    MainlandId(NationalId),
    Other {
        kind: DocumentKind,
        number: String,
        /// ISO 3166-1 alpha-3, upper case (`CHN` for Hong Kong, Macao and Taiwan permits).
        nationality: String,
    },
}

impl Document {
    /// Validates a document from its parts. For `MainlandId` the nationality is ignored.
    ///
    /// # Errors
    /// An invalid ID number, a number that is not 5-20 alphanumerics, or a nationality that
    /// is not three ASCII letters.
    pub fn parse(
        kind: DocumentKind,
        number: &str,
        nationality: Option<&str>,
    ) -> Result<Document, DocumentError> {
        if kind == DocumentKind::MainlandId {
            return Ok(Document::MainlandId(NationalId::parse(number)?));
        }
        let number = number.trim().to_ascii_uppercase();
        if !(5..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DocumentError::Number);
        }
        let nationality = match (kind, nationality.map(str::trim)) {
            (_, Some(n)) if n.len() == 3 && n.bytes().all(|b| b.is_ascii_alphabetic()) => {
                n.to_ascii_uppercase()
            }
            (DocumentKind::HkMacaoPermit | DocumentKind::TaiwanPermit, None | Some("")) => {
                "CHN".to_string()
            }
            _ => return Err(DocumentError::Nationality),
        };
        Ok(Document::Other {
            kind,
            number,
            nationality,
        })
    }

    /// The document kind.
    pub fn kind(&self) -> DocumentKind {
        match self {
            Document::MainlandId(_) => DocumentKind::MainlandId,
            Document::Other { kind, .. } => *kind,
        }
    }

    /// The full document number (personal data: never log it).
    pub fn number(&self) -> &str {
        match self {
            Document::MainlandId(id) => id.as_str(),
            Document::Other { number, .. } => number,
        }
    }

    /// Nationality as ISO 3166-1 alpha-3 (`CHN` for the mainland ID).
    pub fn nationality(&self) -> &str {
        match self {
            Document::MainlandId(_) => "CHN",
            Document::Other { nationality, .. } => nationality,
        }
    }

    /// The masked number for display.
    pub fn masked(&self) -> String {
        match self {
            Document::MainlandId(id) => id.masked(),
            Document::Other { number, .. } => crate::mask::mask_middle(number, 2, 3),
        }
    }

    /// The text hashed into the blind index: kind and number, so that equal numbers of
    /// different kinds never collide.
    pub fn index_text(&self) -> String {
        format!("{}:{}", self.kind().as_str(), self.number())
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document({}, {})", self.kind().as_str(), self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_documents_validate_and_mask() {
        let d = Document::parse(DocumentKind::Passport, "e12345678", Some("usa")).unwrap();
        assert_eq!(d.number(), "E12345678");
        assert_eq!(d.nationality(), "USA");
        assert_eq!(d.masked(), "E1****678");
        assert_eq!(d.index_text(), "passport:E12345678");
        let hk = Document::parse(DocumentKind::HkMacaoPermit, "H12345678", None).unwrap();
        assert_eq!(hk.nationality(), "CHN");
        assert_eq!(
            Document::parse(DocumentKind::Passport, "E1234", None),
            Err(DocumentError::Nationality)
        );
        assert_eq!(
            Document::parse(DocumentKind::Passport, "E1-234", Some("USA")),
            Err(DocumentError::Number)
        );
        assert!(matches!(
            Document::parse(DocumentKind::MainlandId, "410102199003071234", None),
            Err(DocumentError::NationalId(_))
        ));
    }
}
