//! Pure value types of Fangkong: the vocabulary every other crate speaks.
//!
//! Identity numbers, documents, jurisdiction codes, phone numbers, place codes, age bands,
//! masking, the access scope and the control-measure policy live here. This crate does no IO: it never reads the clock,
//! the environment or a file, so every type is cheap to test exhaustively.

pub mod age_band;
pub mod country;
pub mod document;
pub mod jurisdiction;
pub mod mask;
pub mod national_id;
pub mod phone;
pub mod place_code;
pub mod policy;
pub mod scope;

pub use age_band::AgeBand;
pub use country::{Country, Origin};
pub use document::{Document, DocumentError, DocumentKind};
pub use jurisdiction::{JurisdictionCode, JurisdictionCodeError, Level};
pub use mask::Masked;
pub use national_id::{NationalId, NationalIdError, Sex};
pub use phone::{PhoneError, PhoneNumber};
pub use place_code::{PlaceCode, PlaceCodeError};
pub use scope::{Permission, Scope};
