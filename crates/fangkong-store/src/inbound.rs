//! Inbound control (the four pockets): the versions of the control-measure policy.
//!
//! A version is stored with its file as loaded; parsing and validating it is the ingest
//! crate's and the domain's work, done before it reaches the store.

use crate::backend::with_db;
use crate::{Result, StoreError};

/// A stored policy version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredPolicy {
    pub id: i64,
    pub version: String,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    /// The policy file as loaded.
    pub source: String,
    pub source_sha256: String,
    /// Number of rules.
    pub rules: i64,
    pub loaded_at: i64,
    pub loaded_by: String,
}

/// A policy version to store.
#[derive(Debug, Clone)]
pub struct NewPolicy<'a> {
    pub version: &'a str,
    pub effective_from: &'a str,
    pub source: &'a str,
    pub source_sha256: &'a str,
    pub rules: i64,
    pub loaded_at: i64,
    pub loaded_by: &'a str,
}

/// Whether storing a policy version added it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyStored {
    Added,
    /// The same version with the same text was already stored.
    Unchanged,
}

/// Access to the inbound control tables.
pub struct Inbound<'a> {
    pub(crate) db: &'a crate::backend::Db,
}

const COLUMNS: &str =
    "id, version, effective_from, source, source_sha256, rules, loaded_at, loaded_by";

impl Inbound<'_> {
    /// Every stored policy version, by effective date then load order.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn policies(&self) -> Result<Vec<StoredPolicy>> {
        let sql = format!("SELECT {COLUMNS} FROM inbound_policies ORDER BY effective_from, id");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }

    /// Stores a policy version. The same version with the same text again changes nothing.
    ///
    /// # Errors
    /// `Conflict` when the version was stored with another text; `Unavailable` on database
    /// failure.
    pub async fn add_policy(&self, p: &NewPolicy<'_>) -> Result<PolicyStored> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT source_sha256 FROM inbound_policies WHERE version = $1",
                )
                .bind(p.version)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some(hash) if hash == p.source_sha256 => return Ok(PolicyStored::Unchanged),
                    Some(_) => {
                        return Err(StoreError::Conflict {
                            constraint: "inbound_policies.version".to_string(),
                        })
                    }
                    None => {}
                }
                sqlx::query(
                    "INSERT INTO inbound_policies (version, effective_from, source, source_sha256, \
                     rules, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(p.version)
                .bind(p.effective_from)
                .bind(p.source)
                .bind(p.source_sha256)
                .bind(p.rules)
                .bind(p.loaded_at)
                .bind(p.loaded_by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        );
        Ok(PolicyStored::Added)
    }
}
