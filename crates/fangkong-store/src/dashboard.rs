//! Counts for the command dashboard and the daily briefing that no capability's own queries
//! give cheaply: contacts under control and positive tubes of a day, aggregated in SQL so the
//! dashboard of a 7-million city never loads the rows. No personal data leaves this module:
//! every method returns counts.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::Result;

/// Confirmed close and secondary contacts of cases inside a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactCounts {
    /// Confirmed contacts (dismissed candidates not counted).
    pub confirmed: i64,
    /// Confirmed contacts whose control measure is open (assigned, active or escalated).
    pub under_control: i64,
    /// Confirmed contacts without a measure, or whose measure is closed while the contact
    /// was never released: none expected, shown so a gap is visible.
    pub without_measure: i64,
}

/// Access to the dashboard's aggregate counts.
pub struct Dashboard<'a> {
    pub(crate) db: &'a Db,
}

impl Dashboard<'_> {
    /// Confirmed contacts living inside the scope, and how many are under an open measure.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn contacts(&self, scope: &Scope) -> Result<ContactCounts> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT COUNT(*) AS confirmed, \
                       COALESCE(SUM(CASE WHEN m.status IN ('assigned', 'active', 'escalated') \
                         THEN 1 ELSE 0 END), 0) AS under_control, \
                       COALESCE(SUM(CASE WHEN k.measure_id IS NULL THEN 1 ELSE 0 END), 0) \
                         AS without_measure \
                     FROM contacts k LEFT JOIN control_measures m ON m.id = k.measure_id \
                     WHERE k.status = 'confirmed' \
                       AND k.community_code >= $1 AND k.community_code < $2",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Positive tubes (single and pooled) with a positive result received in
    /// `[from_ms, to_ms)` and a member living inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn positive_tubes(&self, scope: &Scope, from_ms: i64, to_ms: i64) -> Result<i64> {
        let (lo, hi) = scope.code_bounds();
        // Starts from the few positive tubes (index `tubes_status`), never from all results.
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_scalar(
                    "SELECT COUNT(*) FROM tubes t WHERE t.status = 'positive' \
                       AND EXISTS (SELECT 1 FROM tube_results r WHERE r.tube_id = t.id \
                         AND r.outcome = 'positive' AND r.received_at >= $3 AND r.received_at < $4) \
                       AND EXISTS (SELECT 1 FROM samples s JOIN persons p ON p.id = s.person_id \
                         WHERE s.tube_id = t.id AND p.community_code >= $1 AND p.community_code < $2)",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_one(pool)
                .await?
                }
        ))
    }
}
