//! Errors of the app layer, converted once into HTTP answers by the server and into
//! messages by the CLI. Messages never carry personal data.

use fangkong_ingest::FileErrors;
use fangkong_store::StoreError;

/// What went wrong in a capability.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request carried invalid values: `(field, reason)` pairs.
    #[error("invalid input: {}", .0.iter().map(|(f, r)| format!("{f}: {r}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    /// A file had bad rows; nothing was applied.
    #[error("{0}")]
    Import(FileErrors),
    /// No credentials, or credentials that are wrong, expired or revoked.
    #[error("authentication required")]
    Unauthenticated,
    /// Too many failed logins: the account is locked until the given time.
    #[error("too many failed logins; the account is locked for a while")]
    Locked { until_ms: i64 },
    /// The actor lacks the permission or the jurisdiction.
    #[error("not permitted")]
    Forbidden,
    /// The object does not exist or lies outside the actor's jurisdiction.
    #[error("not found")]
    NotFound,
    /// The change conflicts with existing data.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store failed.
    #[error("store failure")]
    Store(#[source] StoreError),
}

impl Error {
    /// A single invalid field.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Error {
        Error::Invalid(vec![(field.to_string(), reason.into())])
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Forbidden => Error::Forbidden,
            StoreError::Conflict { constraint } => Error::Conflict(constraint),
            other => Error::Store(other),
        }
    }
}

impl From<FileErrors> for Error {
    fn from(e: FileErrors) -> Error {
        Error::Import(e)
    }
}
