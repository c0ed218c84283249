//! Drills: one row per drill run in a sandbox instance, with the report written when it ends.
//!
//! Drill rows hold no personal data (the report is counts and delays by county), so reads
//! take no scope here; the app filters the counties of a report to the actor's jurisdiction.

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// Access to the `drills` table.
pub struct Drills<'a> {
    pub(crate) db: &'a Db,
}

/// A drill as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DrillRow {
    pub id: i64,
    pub scenario_name: String,
    pub title: String,
    pub title_en: String,
    pub scenario_text: String,
    pub seed: i64,
    pub days: i64,
    /// `running`, `finished` or `failed`.
    pub status: String,
    pub day_reached: i64,
    pub started_at: i64,
    /// The calendar date (China Standard Time) of simulated day 0, `YYYY-MM-DD`.
    pub sim_start_day: String,
    pub finished_at: Option<i64>,
    pub report_json: Option<String>,
    pub created_by: String,
}

/// A drill to record as started.
#[derive(Debug, Clone)]
pub struct NewDrill<'a> {
    pub scenario_name: &'a str,
    pub title: &'a str,
    pub title_en: &'a str,
    pub scenario_text: &'a str,
    pub seed: i64,
    pub days: i64,
    pub started_at: i64,
    pub sim_start_day: &'a str,
    pub created_by: &'a str,
}

const SELECT: &str = "SELECT id, scenario_name, title, title_en, scenario_text, seed, days, \
     status, day_reached, started_at, sim_start_day, finished_at, report_json, created_by \
     FROM drills";

impl Drills<'_> {
    /// Records a drill as running and returns its id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn insert(&self, d: &NewDrill<'_>) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO drills (scenario_name, title, title_en, scenario_text, seed, \
                     days, status, started_at, sim_start_day, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9) RETURNING id",
                )
                .bind(d.scenario_name)
                .bind(d.title)
                .bind(d.title_en)
                .bind(d.scenario_text)
                .bind(d.seed)
                .bind(d.days)
                .bind(d.started_at)
                .bind(d.sim_start_day)
                .bind(d.created_by)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Notes the last simulated day fed into the sandbox of a running drill.
    ///
    /// # Errors
    /// `NotFound` for an unknown or ended drill; `Unavailable` on database failure.
    pub async fn set_day_reached(&self, id: i64, day: i64) -> Result<()> {
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE drills SET day_reached = $2 WHERE id = $1 AND status = 'running'",
                )
                .bind(id)
                .bind(day)
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

    /// Ends a running drill as `finished` (with its report) or `failed` (with the cause as
    /// the report).
    ///
    /// # Errors
    /// `NotFound` for an unknown or already ended drill; `Unavailable` on database failure.
    pub async fn finish(
        &self,
        id: i64,
        status: &str,
        finished_at: i64,
        report_json: &str,
    ) -> Result<()> {
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE drills SET status = $2, finished_at = $3, report_json = $4 \
                     WHERE id = $1 AND status = 'running'",
                )
                .bind(id)
                .bind(status)
                .bind(finished_at)
                .bind(report_json)
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

    /// One drill.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Unavailable` on database failure.
    pub async fn get(&self, id: i64) -> Result<DrillRow> {
        let sql = format!("{SELECT} WHERE id = $1");
        let row: Option<DrillRow> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// The newest drills first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(&self, limit: i64) -> Result<Vec<DrillRow>> {
        let sql = format!("{SELECT} ORDER BY started_at DESC, id DESC LIMIT $1");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(limit).fetch_all(pool).await? }
        ))
    }
}
