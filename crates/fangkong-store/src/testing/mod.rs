//! Nucleic-acid testing: rounds, tubes (single or pooled), samples, results kept as history,
//! and the fan-out of a positive or inconclusive pool into a retest task for every member
//! (or, for a single tube, a suspected case), in the same transaction as the result.
//!
//! Ingest is built for whole-city rounds: lookups and inserts go in chunks of thousands of
//! rows per statement, and every write is idempotent (re-sending a file changes nothing).

use crate::backend::{with_db, Db};

mod coverage;
mod ingest;
mod schedules;

pub use coverage::{
    CommunityCoverage, LabDay, PoolOutcomes, PositiveTube, RoundWindow, TestingFacility,
    TubeTurnaround,
};
pub use ingest::{PersonSnapshot, ResolvedPersons};
pub use schedules::{KeyGroup, MemberTesting, NewKeyGroup};

const ROUND_COLUMNS: &str =
    "id, code, name, jurisdiction_code, starts_on, ends_on, created_at, key_group_id";
use crate::Result;

/// A testing round (a city- or area-wide campaign).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Round {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_code: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_at: i64,
    /// The key group the round targets; `None` targets every resident of the jurisdiction.
    pub key_group_id: Option<i64>,
}

/// A round to create; dates are `YYYY-MM-DD`.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub jurisdiction_code: &'a str,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub key_group_id: Option<i64>,
}

/// One collected sample to ingest. The person is given by the blind index of their document.
#[derive(Debug, Clone)]
pub struct SampleRow {
    pub tube_code: String,
    pub site_code: String,
    pub pool_size: i64,
    pub round_code: Option<String>,
    pub collected_at_ms: i64,
    pub doc_blind: Vec<u8>,
}

/// Why a sample row was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleRefusal {
    /// No registered person holds the document.
    UnknownPerson,
    /// The round code names no round.
    UnknownRound,
    /// The tube exists with another pool size or site.
    TubeMismatch,
    /// The tube would hold more persons than its pool size.
    PoolFull,
}

/// What a sample ingest did; refusals are by row index into the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleIngest {
    pub samples_stored: u64,
    pub samples_already_stored: u64,
    pub tubes_created: u64,
    pub refused: Vec<(usize, SampleRefusal)>,
}

/// One tube result to ingest.
#[derive(Debug, Clone)]
pub struct ResultRow {
    pub tube_code: String,
    /// `negative`, `positive` or `inconclusive`.
    pub outcome: String,
    pub ct_orf1ab: Option<f64>,
    pub ct_n: Option<f64>,
    pub lab_code: String,
    pub tested_at_ms: i64,
    pub reported_at_ms: i64,
}

/// What a result ingest did; unknown tubes are by row index into the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultIngest {
    pub results_stored: u64,
    pub results_already_stored: u64,
    pub unknown_tubes: Vec<usize>,
    pub retest_tasks_created: u64,
    pub suspected_cases_created: u64,
}

/// A retest task of one person after a positive or inconclusive pool.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RetestTask {
    pub id: i64,
    pub person_id: i64,
    pub tube_code: String,
    pub reason: String,
    pub community_code: String,
    pub status: String,
    pub created_at: i64,
}

/// A tube result as stored (history included).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TubeResult {
    pub id: i64,
    pub outcome: String,
    pub ct_orf1ab: Option<f64>,
    pub ct_n: Option<f64>,
    pub lab_code: String,
    pub tested_at: i64,
    pub reported_at: i64,
    pub received_at: i64,
}

/// A result of a tube a person was sampled into (their own or a pool's), for FHIR
/// `Observation`s.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonResult {
    /// The result's id (`Observation.id`).
    pub id: i64,
    pub person_id: i64,
    pub tube_code: String,
    pub pool_size: i64,
    pub outcome: String,
    pub ct_orf1ab: Option<f64>,
    pub ct_n: Option<f64>,
    pub lab_code: String,
    pub tested_at: i64,
}

const PERSON_RESULT: &str = "SELECT r.id, s.person_id, t.code AS tube_code, t.pool_size, \
    r.outcome, r.ct_orf1ab, r.ct_n, r.lab_code, r.tested_at FROM tube_results r \
    JOIN tubes t ON t.id = r.tube_id JOIN samples s ON s.tube_id = t.id \
    JOIN persons p ON p.id = s.person_id";

/// One accepted upload of samples or results, as recorded.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    /// `samples` or `results`.
    pub kind: String,
    pub file: String,
    pub actor: String,
    pub rows_read: i64,
    pub stored: i64,
    pub already_stored: i64,
    pub refused: i64,
    pub retest_tasks_created: i64,
    pub suspected_cases_created: i64,
    /// Milliseconds from the start of storing the results to every task created.
    pub fan_out_ms: i64,
    pub received_at: i64,
}

/// Access to testing.
pub struct Testing<'a> {
    pub(crate) db: &'a Db,
}

/// Rows per lookup statement (each binds one value).
pub(crate) const LOOKUP_CHUNK: usize = 5_000;

impl Testing<'_> {
    /// Creates a round.
    ///
    /// # Errors
    /// `Conflict` when the code is taken or the jurisdiction or key group does not exist.
    pub async fn create_round(&self, r: &NewRound<'_>, now_ms: i64) -> Result<Round> {
        let sql = format!(
            "INSERT INTO testing_rounds (code, name, jurisdiction_code, starts_on, ends_on, created_at, key_group_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ROUND_COLUMNS}"
        );
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_as(&sql)
                    .bind(r.code)
                    .bind(r.name)
                    .bind(r.jurisdiction_code)
                    .bind(r.starts_on)
                    .bind(r.ends_on)
                    .bind(now_ms)
                    .bind(r.key_group_id)
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    /// The rounds, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn rounds(&self) -> Result<Vec<Round>> {
        let sql =
            format!("SELECT {ROUND_COLUMNS} FROM testing_rounds ORDER BY starts_on DESC, id DESC");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }

    /// A round by code.
    ///
    /// # Errors
    /// `NotFound` for an unknown code.
    pub async fn round(&self, code: &str) -> Result<Round> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM testing_rounds WHERE code = $1");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(code).fetch_one(pool).await? }
        ))
    }

    /// Records an accepted upload.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn record_batch(&self, b: &Batch) -> Result<i64> {
        let (id,): (i64,) = with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query_as(
                    "INSERT INTO testing_batches (kind, file, actor, rows_read, stored, already_stored, \
                     refused, retest_tasks_created, suspected_cases_created, fan_out_ms, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(&b.kind)
                .bind(&b.file)
                .bind(&b.actor)
                .bind(b.rows_read)
                .bind(b.stored)
                .bind(b.already_stored)
                .bind(b.refused)
                .bind(b.retest_tasks_created)
                .bind(b.suspected_cases_created)
                .bind(b.fan_out_ms)
                .bind(b.received_at)
                .fetch_one(pool)
                .await?
                }
        );
        Ok(id)
    }

    /// The latest uploads, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn batches(&self, kind: Option<&str>, limit: i64) -> Result<Vec<Batch>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT id, kind, file, actor, rows_read, stored, already_stored, refused, \
                     retest_tasks_created, suspected_cases_created, fan_out_ms, received_at \
                     FROM testing_batches WHERE ($1 IS NULL OR kind = $1) ORDER BY id DESC LIMIT $2",
                )
                .bind(kind)
                .bind(limit)
                .fetch_all(pool)
                .await?
                }
        ))
    }

    /// Retest tasks in the scope's communities, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn retest_tasks(
        &self,
        scope: &fangkong_domain::Scope,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RetestTask>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT t.id, t.person_id, b.code AS tube_code, t.reason, t.community_code, t.status, t.created_at \
                 FROM retest_tasks t JOIN tubes b ON b.id = t.tube_id \
                 WHERE t.community_code >= $1 AND t.community_code < $2 AND ($3 IS NULL OR t.status = $3) \
                 ORDER BY t.id DESC LIMIT $4",
            )
            .bind(&lo)
            .bind(&hi)
            .bind(status)
            .bind(limit)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// Persons who are suspected cases from testing, in the scope: `(person id, tube code)`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn suspected_cases(
        &self,
        scope: &fangkong_domain::Scope,
    ) -> Result<Vec<(i64, String)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT c.person_id, b.code FROM suspected_cases c JOIN tubes b ON b.id = c.tube_id \
                 WHERE c.community_code >= $1 AND c.community_code < $2 ORDER BY c.id",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// The results of the tubes persons in the scope were sampled into: of one person when
    /// `person_id` is given, else of everyone in `within` (by result id from `after_id`, at
    /// most `limit`).
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn person_results(
        &self,
        scope: &fangkong_domain::Scope,
        person_id: Option<i64>,
        within: Option<&fangkong_domain::JurisdictionCode>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<PersonResult>> {
        if !scope.can(fangkong_domain::Permission::TestingRead) {
            return Err(crate::StoreError::Forbidden);
        }
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(within);
        let sql = format!(
            "{PERSON_RESULT} WHERE p.community_code >= $1 AND p.community_code < $2 \
             AND p.community_code >= $3 AND p.community_code < $4 AND r.id > $5 \
             AND ($6 < 0 OR s.person_id = $6) ORDER BY r.id, s.person_id LIMIT $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(after_id)
                    .bind(person_id.unwrap_or(-1))
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// The tube codes among `codes` that were collected.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn known_tubes(&self, codes: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in codes.chunks(500) {
            let sql = format!(
                "SELECT code FROM tubes WHERE code IN ({})",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<String> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_scalar(&sql);
                    for c in chunk {
                        q = q.bind(c);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        Ok(out)
    }

    /// Every result of a tube, oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn tube_history(&self, tube_code: &str) -> Result<Vec<TubeResult>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT r.id, r.outcome, r.ct_orf1ab, r.ct_n, r.lab_code, r.tested_at, r.reported_at, r.received_at \
                 FROM tube_results r JOIN tubes t ON t.id = r.tube_id WHERE t.code = $1 \
                 ORDER BY r.tested_at, r.id",
            )
            .bind(tube_code)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// The status of a tube (`collected` until a result arrives).
    ///
    /// # Errors
    /// `NotFound` for an unknown tube.
    pub async fn tube_status(&self, tube_code: &str) -> Result<String> {
        let (status,): (String,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT status FROM tubes WHERE code = $1")
                    .bind(tube_code)
                    .fetch_one(pool)
                    .await?
            }
        );
        Ok(status)
    }
}
