//! Bulk operations: the progress and summary of one action applied to many records (issue
//! #13). The records' changes are written by their capabilities; this module only keeps the
//! counters, the refusals and the status. No personal data: record ids and reasons.

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A stored operation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OperationRow {
    pub id: i64,
    pub kind: String,
    pub created_by: String,
    pub created_at: i64,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// `running` or `finished`.
    pub status: String,
    /// JSON array of `[record id, reason]`.
    pub errors: String,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, created_by, created_at, total, done, failed, status, errors, finished_at";

/// Access to the bulk operations.
pub struct Operations<'a> {
    pub(crate) db: &'a Db,
}

impl Operations<'_> {
    /// Records a new running operation over `total` records; returns its id.
    ///
    /// # Errors
    /// `Conflict` for a total below 1; `Unavailable` on database failure.
    pub async fn create(
        &self,
        kind: &str,
        created_by: &str,
        created_at: i64,
        total: i64,
    ) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO bulk_operations (kind, created_by, created_at, total) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(kind)
                .bind(created_by)
                .bind(created_at)
                .bind(total)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Writes the progress so far; `finished_at` finishes the operation.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Unavailable` on database failure.
    pub async fn progress(
        &self,
        id: i64,
        done: i64,
        failed: i64,
        errors: &str,
        finished_at: Option<i64>,
    ) -> Result<()> {
        let status = if finished_at.is_some() {
            "finished"
        } else {
            "running"
        };
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE bulk_operations SET done = $1, failed = $2, errors = $3, \
                       status = $4, finished_at = $5 WHERE id = $6",
                )
                .bind(done)
                .bind(failed)
                .bind(errors)
                .bind(status)
                .bind(finished_at)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// An operation.
    ///
    /// # Errors
    /// `NotFound`; `Unavailable` on database failure.
    pub async fn get(&self, id: i64) -> Result<OperationRow> {
        let sql = format!("SELECT {COLUMNS} FROM bulk_operations WHERE id = $1");
        let row: Option<OperationRow> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        row.ok_or(StoreError::NotFound)
    }
}
