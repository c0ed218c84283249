//! Read models of testing: round coverage by community, the residents not yet sampled, lab
//! turnaround and load, pool outcomes for positivity, and the queue of positive tubes with
//! the state of their fan-out.

use super::Testing;
use crate::backend::with_db;
use crate::persons::Person;
use crate::Result;

/// Target and sampled residents of one community in a round.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommunityCoverage {
    pub community_code: String,
    pub target: i64,
    pub sampled: i64,
}

/// Which collections count for a round: those in its tubes, and untagged ones collected
/// between `from_ms` (inclusive) and `to_ms` (exclusive).
#[derive(Debug, Clone, Copy)]
pub struct RoundWindow {
    pub round_id: i64,
    pub key_group_id: Option<i64>,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A tube with its first report, for turnaround (collection to report).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TubeTurnaround {
    pub lab_code: String,
    pub collected_at: i64,
    pub reported_at: i64,
}

/// Tubes a lab tested on one day (days since the Unix epoch in the given offset).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LabDay {
    pub lab_code: String,
    pub day: i64,
    pub tubes: i64,
}

/// A registered laboratory or sampling site (a facility with a place code).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TestingFacility {
    pub code: String,
    pub name: String,
    pub community_code: String,
    /// Tubes a day (labs) or collections a day (sampling sites).
    pub capacity: i64,
}

/// Tested tubes grouped by the county of their sampling site, pool size and outcome.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PoolOutcomes {
    /// The county of the sampling site, or empty when the site is not registered.
    pub county_code: String,
    pub pool_size: i64,
    pub tubes: i64,
    /// Tubes whose latest result is positive.
    pub positive: i64,
}

/// A positive or inconclusive tube and where its fan-out stands.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PositiveTube {
    pub tube_code: String,
    pub pool_size: i64,
    pub outcome: String,
    pub site_code: String,
    pub lab_code: String,
    pub ct_orf1ab: Option<f64>,
    pub ct_n: Option<f64>,
    pub collected_at: i64,
    pub reported_at: i64,
    pub received_at: i64,
    pub members: i64,
    pub retests_open: i64,
    pub retests_done: i64,
    pub suspected_cases: i64,
}

/// SQL that is true when person `p` has a collection counting for the round
/// (`$1` round id, `$2`..`$3` the window of untagged collections).
const SAMPLED_IN_ROUND: &str = "EXISTS (SELECT 1 FROM samples s JOIN tubes t ON t.id = s.tube_id \
     WHERE s.person_id = p.id AND (t.round_id = $1 \
       OR (t.round_id IS NULL AND s.collected_at >= $2 AND s.collected_at < $3)))";

/// SQL of the persons with a collection counting for the round (`$1` round id, `$2`..`$3`
/// the window of untagged collections), read from the round's tubes.
const ROUND_PERSONS: &str = "SELECT s.person_id FROM tubes t JOIN samples s ON s.tube_id = t.id \
     WHERE t.round_id = $1 \
     UNION ALL SELECT s.person_id FROM tubes t JOIN samples s ON s.tube_id = t.id \
     WHERE t.round_id IS NULL AND s.collected_at >= $2 AND s.collected_at < $3";

/// SQL that is true when person `p` is in the round's target (`$4` key group id or NULL).
const IN_TARGET: &str = "($4 IS NULL OR EXISTS (SELECT 1 FROM key_group_members m \
     WHERE m.group_id = $4 AND m.person_id = p.id))";

impl Testing<'_> {
    /// Coverage of a round by community, over the residents in `[lo, hi)`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn round_coverage(
        &self,
        w: RoundWindow,
        (lo, hi): (&str, &str),
    ) -> Result<Vec<CommunityCoverage>> {
        // SQLite: the round's persons are read once, from its tubes, into a set that every
        // resident is looked up in (a probe per resident into samples and tubes costs a
        // random read each, over a minute for a city of 7 million). PostgreSQL plans the
        // correlated form as a semi-join by itself.
        // Without statistics SQLite would walk `persons_merged` and read every row; the
        // partial index of active residents answers the count alone.
        let (sampled, index) = match self.db.kind() {
            crate::backend::Backend::Sqlite => (
                format!("p.id IN ({ROUND_PERSONS})"),
                "INDEXED BY persons_active",
            ),
            crate::backend::Backend::Postgres => (SAMPLED_IN_ROUND.to_string(), ""),
        };
        let sql = format!(
            "SELECT p.community_code, COUNT(*) AS target, \
               SUM(CASE WHEN {sampled} THEN 1 ELSE 0 END) AS sampled \
             FROM persons p {index} \
             WHERE p.community_code >= $5 AND p.community_code < $6 \
               AND p.merged_into IS NULL AND p.closed_at IS NULL AND {IN_TARGET} \
             GROUP BY p.community_code ORDER BY p.community_code"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(w.round_id)
                    .bind(w.from_ms)
                    .bind(w.to_ms)
                    .bind(w.key_group_id)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Residents in `[lo, hi)` in the round's target who have no collection counting for it,
    /// ordered by community, household and id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn not_sampled(
        &self,
        w: RoundWindow,
        (lo, hi): (&str, &str),
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Person>> {
        let sql = format!(
            "SELECT {} FROM persons p \
             WHERE p.community_code >= $5 AND p.community_code < $6 \
               AND p.merged_into IS NULL AND p.closed_at IS NULL AND {IN_TARGET} \
               AND NOT {SAMPLED_IN_ROUND} \
             ORDER BY p.community_code, p.household_id, p.id LIMIT $7 OFFSET $8",
            crate::persons::COLUMNS_P
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(w.round_id)
                    .bind(w.from_ms)
                    .bind(w.to_ms)
                    .bind(w.key_group_id)
                    .bind(lo)
                    .bind(hi)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Every tube collected in `[from_ms, to_ms)` (or in the round, when given) with its
    /// first report and the lab that made it.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn turnaround(
        &self,
        round_id: Option<i64>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<TubeTurnaround>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT r.lab_code, t.collected_at, r.reported_at FROM tubes t \
                     JOIN tube_results r ON r.id = (SELECT r2.id FROM tube_results r2 \
                       WHERE r2.tube_id = t.id ORDER BY r2.reported_at, r2.id LIMIT 1) \
                     WHERE ($1 IS NULL AND t.collected_at >= $2 AND t.collected_at < $3) \
                        OR t.round_id = $1",
                )
                .bind(round_id)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Tubes tested per lab and day in `[from_ms, to_ms)`; days are counted in the time zone
    /// `offset_ms` east of UTC.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn lab_days(&self, from_ms: i64, to_ms: i64, offset_ms: i64) -> Result<Vec<LabDay>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT lab_code, (tested_at + $3) / 86400000 AS day, COUNT(DISTINCT tube_id) AS tubes \
                     FROM tube_results WHERE tested_at >= $1 AND tested_at < $2 \
                     GROUP BY lab_code, (tested_at + $3) / 86400000 ORDER BY lab_code, day",
                )
                .bind(from_ms)
                .bind(to_ms)
                .bind(offset_ms)
                .fetch_all(pool)
                .await?
                }
        ))
    }

    /// Registered facilities of `kind` (`lab` or `sampling_site`) in `[lo, hi)`, by code.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn testing_facilities(
        &self,
        kind: &str,
        (lo, hi): (&str, &str),
    ) -> Result<Vec<TestingFacility>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT place_code AS code, name, community_code, capacity FROM facilities \
                     WHERE kind = $1 AND place_code IS NOT NULL \
                       AND community_code >= $2 AND community_code < $3 ORDER BY place_code",
                )
                .bind(kind)
                .bind(lo)
                .bind(hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Tested tubes collected since `since_ms`, by county of the sampling site, pool size
    /// and positivity.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn pool_outcomes(&self, since_ms: i64) -> Result<Vec<PoolOutcomes>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT COALESCE(SUBSTR(f.community_code, 1, 6), '') AS county_code, t.pool_size, \
                       COUNT(*) AS tubes, SUM(CASE WHEN t.status = 'positive' THEN 1 ELSE 0 END) AS positive \
                     FROM tubes t LEFT JOIN facilities f ON f.place_code = t.site_code \
                     WHERE t.collected_at >= $1 AND t.status IN ('negative', 'positive') \
                     GROUP BY COALESCE(SUBSTR(f.community_code, 1, 6), ''), t.pool_size \
                     ORDER BY county_code, t.pool_size",
                )
                .bind(since_ms)
                .fetch_all(pool)
                .await?
                }
        ))
    }

    /// Positive and inconclusive tubes with a member living in `[lo, hi)`, latest report
    /// first, with the state of their fan-out.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn positives(&self, (lo, hi): (&str, &str), limit: i64) -> Result<Vec<PositiveTube>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT t.code AS tube_code, t.pool_size, t.status AS outcome, t.site_code, r.lab_code, \
                       r.ct_orf1ab, r.ct_n, t.collected_at, r.reported_at, r.received_at, \
                       (SELECT COUNT(*) FROM samples s WHERE s.tube_id = t.id) AS members, \
                       (SELECT COUNT(*) FROM retest_tasks x WHERE x.tube_id = t.id AND x.status = 'open') AS retests_open, \
                       (SELECT COUNT(*) FROM retest_tasks x WHERE x.tube_id = t.id AND x.status = 'done') AS retests_done, \
                       (SELECT COUNT(*) FROM suspected_cases c WHERE c.tube_id = t.id) AS suspected_cases \
                     FROM tubes t JOIN tube_results r ON r.id = (SELECT r2.id FROM tube_results r2 \
                       WHERE r2.tube_id = t.id ORDER BY r2.tested_at DESC, r2.id DESC LIMIT 1) \
                     WHERE t.status IN ('positive', 'inconclusive') \
                       AND EXISTS (SELECT 1 FROM samples s JOIN persons p ON p.id = s.person_id \
                         WHERE s.tube_id = t.id AND p.community_code >= $1 AND p.community_code < $2) \
                     ORDER BY r.received_at DESC, t.id DESC LIMIT $3",
                )
                .bind(lo)
                .bind(hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
                }
        ))
    }

    /// Closes the open retest tasks whose person has since given a single-tube sample that
    /// has a result; returns how many were closed.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn settle_retests(&self) -> Result<u64> {
        let done = with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query(
                    "UPDATE retest_tasks SET status = 'done' WHERE status = 'open' AND EXISTS ( \
                       SELECT 1 FROM samples s JOIN tubes t ON t.id = s.tube_id \
                       WHERE s.person_id = retest_tasks.person_id AND t.pool_size = 1 \
                         AND t.status <> 'collected' \
                         AND s.collected_at > (SELECT b.collected_at FROM tubes b WHERE b.id = retest_tasks.tube_id))",
                )
                .execute(pool)
                .await?
                .rows_affected()
                }
        );
        Ok(done)
    }
}
