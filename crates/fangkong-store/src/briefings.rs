//! Stored daily briefings (日报): one per jurisdiction and day, its figures as JSON written by
//! the app. Counts only, no personal data. Reads take a `&Scope`: a briefing is visible to
//! users whose jurisdiction contains the briefing's.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A stored briefing.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BriefingRow {
    pub id: i64,
    pub jurisdiction_code: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub revision: i64,
    pub generated_at: i64,
    pub generated_by: String,
    /// The app's JSON of the briefing.
    pub figures: String,
}

/// A briefing in a list, without its figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BriefingSummary {
    pub jurisdiction_code: String,
    pub day: String,
    pub revision: i64,
    pub generated_at: i64,
    pub generated_by: String,
}

/// Access to the stored briefings.
pub struct Briefings<'a> {
    pub(crate) db: &'a Db,
}

impl Briefings<'_> {
    /// Saves the briefing of a jurisdiction and day, replacing one saved before for that day
    /// (its revision counts up). Returns the revision.
    ///
    /// # Errors
    /// `Conflict` for an unknown jurisdiction; `Unavailable` on database failure.
    pub async fn save(
        &self,
        jurisdiction_code: &str,
        day: &str,
        generated_at: i64,
        generated_by: &str,
        figures: &str,
    ) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO daily_briefings (jurisdiction_code, day, generated_at, \
                       generated_by, figures) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (jurisdiction_code, day) DO UPDATE SET \
                       revision = daily_briefings.revision + 1, \
                       generated_at = excluded.generated_at, \
                       generated_by = excluded.generated_by, figures = excluded.figures \
                     RETURNING revision",
                )
                .bind(jurisdiction_code)
                .bind(day)
                .bind(generated_at)
                .bind(generated_by)
                .bind(figures)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// The briefing of a jurisdiction and day, if it is inside the scope and was generated.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn get(
        &self,
        scope: &Scope,
        jurisdiction_code: &str,
        day: &str,
    ) -> Result<BriefingRow> {
        let (lo, hi) = scope.code_bounds();
        let row: Option<BriefingRow> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, jurisdiction_code, day, revision, generated_at, generated_by, \
                       figures FROM daily_briefings WHERE jurisdiction_code = $1 AND day = $2 \
                       AND jurisdiction_code >= $3 AND jurisdiction_code < $4",
                )
                .bind(jurisdiction_code)
                .bind(day)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(pool)
                .await?
            }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// The briefings inside the scope, newest day first, at most `limit`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(&self, scope: &Scope, limit: i64) -> Result<Vec<BriefingSummary>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT jurisdiction_code, day, revision, generated_at, generated_by \
                     FROM daily_briefings WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
                     ORDER BY day DESC, jurisdiction_code LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }
}
