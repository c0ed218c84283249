//! Command (指挥调度): directives with acknowledgement and completion report, the duty roster
//! (值班值守) with handover notes and shift logs.
//!
//! Reads take the scope's code range: a directive is seen where its target or its issuer
//! lies, a shift where its unit lies. Who may issue or acknowledge is the app's decision.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A directive as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DirectiveRow {
    pub id: i64,
    pub issuer_code: String,
    pub target_code: String,
    pub target_unit: String,
    pub title: String,
    pub body: String,
    pub issued_at: i64,
    pub issued_by: String,
    pub due_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub completed_at: Option<i64>,
    pub completed_by: Option<String>,
    pub completion_report: Option<String>,
}

const DIRECTIVE_SELECT: &str = "SELECT id, issuer_code, target_code, target_unit, title, body, \
     issued_at, issued_by, due_at, acknowledged_at, acknowledged_by, completed_at, completed_by, \
     completion_report FROM directives";

/// A new directive.
#[derive(Debug, Clone)]
pub struct NewDirective<'a> {
    pub issuer_code: &'a str,
    pub target_code: &'a str,
    pub target_unit: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub issued_at: i64,
    pub issued_by: &'a str,
    pub due_at: i64,
}

/// A shift of the duty roster.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShiftRow {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub leader: String,
    pub officer: String,
    pub handover_note: Option<String>,
    pub created_by: String,
}

const SHIFT_SELECT: &str = "SELECT id, unit_code, unit_name, starts_at, ends_at, leader, \
     officer, handover_note, created_by FROM duty_shifts";

/// A new shift.
#[derive(Debug, Clone)]
pub struct NewShift<'a> {
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub leader: &'a str,
    pub officer: &'a str,
    pub created_by: &'a str,
}

/// An entry of a shift's log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub shift_id: i64,
    pub at: i64,
    pub text: String,
    pub recorded_by: String,
}

/// Access to directives and the duty roster.
pub struct Command<'a> {
    pub(crate) db: &'a Db,
}

impl Command<'_> {
    /// Issues a directive. Returns it.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn issue(&self, d: &NewDirective<'_>) -> Result<DirectiveRow> {
        let id: i64 = with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO directives (issuer_code, target_code, target_unit, title, body, \
                     issued_at, issued_by, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id",
                )
                .bind(d.issuer_code)
                .bind(d.target_code)
                .bind(d.target_unit)
                .bind(d.title)
                .bind(d.body)
                .bind(d.issued_at)
                .bind(d.issued_by)
                .bind(d.due_at)
                .fetch_one(pool)
                .await?
            }
        );
        self.directive_any(id).await
    }

    async fn directive_any(&self, id: i64) -> Result<DirectiveRow> {
        let sql = format!("{DIRECTIVE_SELECT} WHERE id = $1");
        let row: Option<DirectiveRow> = with_db!(
            self.db,
            write | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// Directives whose target or issuer lies inside the scope, latest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn directives(&self, scope: &Scope) -> Result<Vec<DirectiveRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{DIRECTIVE_SELECT} WHERE (target_code >= $1 AND target_code < $2) \
             OR (issuer_code >= $1 AND issuer_code < $2) ORDER BY issued_at DESC, id DESC"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One directive whose target or issuer lies inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope.
    pub async fn directive(&self, scope: &Scope, id: i64) -> Result<DirectiveRow> {
        let d = self.directive_any(id).await?;
        if scope.covers(&d.target_code) || scope.covers(&d.issuer_code) {
            Ok(d)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Acknowledges a directive not acknowledged yet; false when it was.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn acknowledge(&self, id: i64, at: i64, by: &str) -> Result<bool> {
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE directives SET acknowledged_at = $2, acknowledged_by = $3 \
                     WHERE id = $1 AND acknowledged_at IS NULL",
                )
                .bind(id)
                .bind(at)
                .bind(by)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        Ok(n == 1)
    }

    /// Records the completion report of an acknowledged directive not completed yet; false
    /// when it was completed or not acknowledged.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn complete(&self, id: i64, at: i64, by: &str, report: &str) -> Result<bool> {
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE directives SET completed_at = $2, completed_by = $3, \
                     completion_report = $4 WHERE id = $1 AND completed_at IS NULL \
                     AND acknowledged_at IS NOT NULL",
                )
                .bind(id)
                .bind(at)
                .bind(by)
                .bind(report)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        Ok(n == 1)
    }

    /// Directives targeted inside `[lo, hi)` not completed and due before `now`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_overdue(&self, lo: &str, hi: &str, now: i64) -> Result<i64> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM directives WHERE completed_at IS NULL AND due_at < $3 \
                     AND target_code >= $1 AND target_code < $2",
                )
                .bind(lo)
                .bind(hi)
                .bind(now)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Adds a shift to the roster. Returns it.
    ///
    /// # Errors
    /// `Conflict` when it overlaps another shift of the same unit.
    pub async fn add_shift(&self, s: &NewShift<'_>) -> Result<ShiftRow> {
        let id: i64 = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let overlapping: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM duty_shifts WHERE unit_code = $1 AND unit_name = $2 \
                     AND starts_at < $4 AND ends_at > $3",
                )
                .bind(s.unit_code)
                .bind(s.unit_name)
                .bind(s.starts_at)
                .bind(s.ends_at)
                .fetch_one(&mut *tx)
                .await?;
                if overlapping > 0 {
                    return Err(StoreError::Conflict {
                        constraint: "duty_shifts_overlap".to_string(),
                    });
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO duty_shifts (unit_code, unit_name, starts_at, ends_at, leader, \
                     officer, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(s.unit_code)
                .bind(s.unit_name)
                .bind(s.starts_at)
                .bind(s.ends_at)
                .bind(s.leader)
                .bind(s.officer)
                .bind(s.created_by)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                id
            }
        );
        self.shift(&Scope::system(), id).await
    }

    /// Shifts of units inside the scope overlapping `[from, to)`, by start.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn shifts(&self, scope: &Scope, from: i64, to: i64) -> Result<Vec<ShiftRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{SHIFT_SELECT} WHERE unit_code >= $1 AND unit_code < $2 AND starts_at < $4 \
             AND ends_at > $3 ORDER BY starts_at, unit_code, unit_name, id"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(from)
                    .bind(to)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One shift of a unit inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope.
    pub async fn shift(&self, scope: &Scope, id: i64) -> Result<ShiftRow> {
        let sql = format!("{SHIFT_SELECT} WHERE id = $1");
        let row: Option<ShiftRow> = with_db!(
            self.db,
            write | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        row.filter(|s| scope.covers(&s.unit_code))
            .ok_or(StoreError::NotFound)
    }

    /// Sets a shift's handover note.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn set_handover(&self, id: i64, note: &str) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query("UPDATE duty_shifts SET handover_note = $2 WHERE id = $1")
                    .bind(id)
                    .bind(note)
                    .execute(pool)
                    .await?;
            }
        );
        Ok(())
    }

    /// Appends to a shift's log.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn log(&self, shift_id: i64, at: i64, text: &str, by: &str) -> Result<LogRow> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_as(
                    "INSERT INTO duty_log (shift_id, at, text, recorded_by) VALUES ($1, $2, $3, \
                     $4) RETURNING id, shift_id, at, text, recorded_by",
                )
                .bind(shift_id)
                .bind(at)
                .bind(text)
                .bind(by)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// A shift's log, in time order.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn logs(&self, shift_id: i64) -> Result<Vec<LogRow>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, shift_id, at, text, recorded_by FROM duty_log \
                     WHERE shift_id = $1 ORDER BY at, id",
                )
                .bind(shift_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }
}
