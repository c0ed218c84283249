//! What a scenario forecast starts from and the runs it stores (issue #12).
//!
//! The app builds the simulator's population from the registry (age, household, school,
//! workplace, community, doses) and its initial state from the open cases, the people under
//! a control measure and the cases of the last days; it stores each ensemble run as JSON.
//! Reads take a `&Scope`; nothing personal leaves this module but row ids, which the app
//! only uses as indices into the simulated population.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A resident as the simulator needs them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ForecastResident {
    pub id: i64,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub community_code: String,
    pub household_id: Option<i64>,
    pub workplace_id: Option<i64>,
    pub school_id: Option<i64>,
    /// Vaccine doses recorded (0 when none).
    pub doses: i64,
}

/// A person under a control measure that has not ended.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnderMeasure {
    pub person_id: i64,
    /// `YYYY-MM-DD`, the measure's last day.
    pub ends_on: String,
}

/// A case detected since a moment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecentCase {
    pub person_id: i64,
    pub detected_at: i64,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScenarioRunRow {
    pub id: i64,
    pub jurisdiction_code: String,
    pub as_of: String,
    pub horizon_days: i64,
    pub members: i64,
    pub seed: i64,
    pub created_at: i64,
    pub created_by: String,
    /// The app's JSON of the result.
    pub result: String,
}

/// A new run.
#[derive(Debug, Clone)]
pub struct NewScenarioRun<'a> {
    pub jurisdiction_code: &'a str,
    pub as_of: &'a str,
    pub horizon_days: i64,
    pub members: i64,
    pub seed: i64,
    pub created_at: i64,
    pub created_by: &'a str,
    pub result: &'a str,
}

const RUN_COLUMNS: &str = "id, jurisdiction_code, as_of, horizon_days, members, seed, \
                           created_at, created_by, result";

/// Access to the forecast inputs and the stored runs.
pub struct Forecasts<'a> {
    pub(crate) db: &'a Db,
}

impl Forecasts<'_> {
    /// The residents inside the scope (persons not merged into another), by id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn residents(&self, scope: &Scope) -> Result<Vec<ForecastResident>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT p.id, p.birth_date, p.community_code, p.household_id, \
                       p.workplace_id, p.school_id, CAST(COALESCE(s.doses, 0) AS BIGINT) AS doses \
                     FROM persons p LEFT JOIN immunization_status s ON s.person_id = p.id \
                     WHERE p.merged_into IS NULL AND p.community_code >= $1 \
                       AND p.community_code < $2 ORDER BY p.id",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The people of open confirmed or asymptomatic cases inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn open_cases(&self, scope: &Scope) -> Result<Vec<i64>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT person_id FROM cases WHERE outcome = 'open' \
                       AND classification IN ('confirmed','asymptomatic') \
                       AND community_code >= $1 AND community_code < $2 ORDER BY person_id",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// People under a control measure (assigned or active) whose last day is `today` or
    /// later, with the latest such day per person.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn under_measure(&self, scope: &Scope, today: &str) -> Result<Vec<UnderMeasure>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT person_id, MAX(ends_on) AS ends_on FROM control_measures \
                     WHERE status IN ('assigned','active') AND ends_on >= $1 \
                       AND community_code >= $2 AND community_code < $3 \
                     GROUP BY person_id ORDER BY person_id",
                )
                .bind(today)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Confirmed or asymptomatic cases inside the scope detected at `since_ms` or later.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn recent_cases(&self, scope: &Scope, since_ms: i64) -> Result<Vec<RecentCase>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT person_id, detected_at FROM cases \
                     WHERE classification IN ('confirmed','asymptomatic') AND detected_at >= $1 \
                       AND community_code >= $2 AND community_code < $3 ORDER BY person_id",
                )
                .bind(since_ms)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Stores a run; returns its id.
    ///
    /// # Errors
    /// `Conflict` for an unknown jurisdiction or a value out of range; `Unavailable` on
    /// database failure.
    pub async fn save_run(&self, run: &NewScenarioRun<'_>) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO scenario_forecasts (jurisdiction_code, as_of, horizon_days, \
                       members, seed, created_at, created_by, result) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(run.jurisdiction_code)
                .bind(run.as_of)
                .bind(run.horizon_days)
                .bind(run.members)
                .bind(run.seed)
                .bind(run.created_at)
                .bind(run.created_by)
                .bind(run.result)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// A run inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn run(&self, scope: &Scope, id: i64) -> Result<ScenarioRunRow> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM scenario_forecasts WHERE id = $1 \
             AND jurisdiction_code >= $2 AND jurisdiction_code < $3"
        );
        let row: Option<ScenarioRunRow> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(id)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_optional(pool)
                    .await?
            }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// The latest run made for exactly `jurisdiction_code` at `created_at >= since`, if any.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn latest_for(
        &self,
        jurisdiction_code: &str,
        since: i64,
    ) -> Result<Option<ScenarioRunRow>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM scenario_forecasts WHERE jurisdiction_code = $1 \
             AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(jurisdiction_code)
                    .bind(since)
                    .fetch_optional(pool)
                    .await?
            }
        ))
    }

    /// The runs inside the scope, newest first, at most `limit`, with their results.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn runs(&self, scope: &Scope, limit: i64) -> Result<Vec<ScenarioRunRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM scenario_forecasts \
             WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }
}
