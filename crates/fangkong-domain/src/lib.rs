//! Pure value types of Fangkong: the vocabulary every other crate speaks.
//!
//! Identity numbers, documents, jurisdiction codes, phone numbers, place codes, age bands,
//! masking, the access scope and the control-measure policy live here. This crate does no IO: it never reads the clock,
//! the environment or a file, so every type is cheap to test exhaustively.

/// Implements the vocabulary methods of a closed enum: `ALL`, `as_str` (the key used in files
/// and the API), `parse`, `name_zh`, `name_en` and `keys`.
macro_rules! names {
    ($ty:ty { $($variant:ident => $key:literal, $zh:literal, $en:literal;)+ }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            /// The key used in policy files and the API.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $key),+ }
            }

            /// Parses [`Self::as_str`].
            pub fn parse(s: &str) -> Option<$ty> {
                match s { $($key => Some(<$ty>::$variant),)+ _ => None }
            }

            /// The name in Chinese.
            pub fn name_zh(self) -> &'static str {
                match self { $(<$ty>::$variant => $zh),+ }
            }

            /// The name in English.
            pub fn name_en(self) -> &'static str {
                match self { $(<$ty>::$variant => $en),+ }
            }

            /// The accepted keys, for error messages.
            pub fn keys() -> String {
                [$($key),+].join(", ")
            }
        }
    };
}

pub mod age_band;
pub mod case;
pub mod co_investigation;
pub mod country;
pub mod document;
pub mod immunization;
pub mod isolation;
pub mod jurisdiction;
pub mod mask;
pub mod national_id;
pub mod phone;
pub mod place_code;
pub mod policy;
pub mod scope;
pub mod sentinel;

pub use age_band::AgeBand;
pub use case::{
    CaseClass, CaseOutcome, ContactSetting, ContactStatus, Detection, Severity, TransportKind,
};
pub use country::{Country, Origin};
pub use document::{Document, DocumentError, DocumentKind};
pub use isolation::{
    AdmissionOutcome, BedType, RoomStatus, SiteKind, Specialty, StayOutcome, StayStatus,
};
pub use jurisdiction::{JurisdictionCode, JurisdictionCodeError, Level};
pub use mask::Masked;
pub use national_id::{NationalId, NationalIdError, Sex};
pub use phone::{PhoneError, PhoneNumber};
pub use place_code::{PlaceCode, PlaceCodeError};
pub use scope::{Permission, Scope};
pub use sentinel::{AlertStatus, Indicator, SentinelType, SeriesLevel};
