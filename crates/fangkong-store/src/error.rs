//! Store errors: few and meaningful. Driver errors are converted once, here.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or a row outside the caller's scope (the two are not distinguished, so
    /// that existence does not leak across jurisdictions).
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint refused the change.
    #[error("conflicts with existing data ({constraint})")]
    Conflict { constraint: String },
    /// The caller's scope does not allow the change.
    #[error("outside the caller's jurisdiction or permissions")]
    Forbidden,
    /// A stored value could not be decrypted or decoded (wrong key, corrupted row).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A migration failed.
    #[error("migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                use sqlx::error::ErrorKind;
                match db.kind() {
                    ErrorKind::UniqueViolation => StoreError::Conflict {
                        constraint: db
                            .constraint()
                            .map(str::to_string)
                            .unwrap_or_else(|| "unique".to_string()),
                    },
                    ErrorKind::ForeignKeyViolation => StoreError::Conflict {
                        constraint: "foreign_key".to_string(),
                    },
                    ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                        StoreError::Conflict {
                            constraint: "check".to_string(),
                        }
                    }
                    _ => StoreError::Unavailable(e),
                }
            }
            _ => StoreError::Unavailable(e),
        }
    }
}

/// Errors of the raw SQLite connection that bulk writes use ([`crate::backend::with_raw_sqlite`]),
/// sorted like the driver's.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ffi::ErrorCode;
        if let rusqlite::Error::SqliteFailure(failure, message) = &e {
            if failure.code == ErrorCode::ConstraintViolation {
                let constraint = match failure.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        message.clone().unwrap_or_else(|| "unique".to_string())
                    }
                    rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "foreign_key".to_string(),
                    _ => "check".to_string(),
                };
                return StoreError::Conflict { constraint };
            }
        }
        StoreError::Unavailable(sqlx::Error::Protocol(format!("sqlite: {e}")))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migration(e)
    }
}
