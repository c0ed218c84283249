//! Imported cold-chain goods: batches, their test results, their movements downstream, the
//! workers who handled them, and the control tasks a positive result opens.
//!
//! A batch belongs to the jurisdiction of its cold store; reads take the caller's code range
//! (`Scope::code_bounds`). A location is named by a key: `F<facility id>` or
//! `A<jurisdiction code>:<address>`; the cold store is the batch's first location. When a
//! batch has a positive result, every write that adds a location or a worker runs the fan-out
//! in its own transaction: one `seal_and_disinfect` task per location and one
//! `quarantine_worker` task per worker (routed to the worker's community of residence), each
//! at most once per batch (`UNIQUE (batch_id, kind, target)`), so repeating a write creates
//! nothing.

use crate::backend::with_db;
use crate::facilities::{Facility, COLUMNS as FACILITY_COLUMNS};
use crate::{Result, StoreError};

/// A batch as stored, with its cold store's name and its count of positive results.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub code: String,
    pub product: String,
    /// ISO 3166-1 alpha-2.
    pub origin_country: String,
    pub port_of_entry: String,
    pub cold_store_id: i64,
    pub cold_store_name: String,
    pub cold_store_place_code: Option<String>,
    /// The cold store's community.
    pub jurisdiction_code: String,
    pub quantity: f64,
    pub unit: String,
    pub arrived_at: i64,
    pub trace_code: String,
    pub disinfection_cert: Option<String>,
    /// `in_store`, `distributed`, `sealed` or `destroyed`.
    pub status: String,
    pub sealed_at: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    pub positives: i64,
}

/// A batch to store.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    pub code: &'a str,
    pub product: &'a str,
    pub origin_country: &'a str,
    pub port_of_entry: &'a str,
    pub cold_store_id: i64,
    pub jurisdiction_code: &'a str,
    pub quantity: f64,
    pub unit: &'a str,
    pub arrived_at: i64,
    pub trace_code: &'a str,
    pub disinfection_cert: Option<&'a str>,
    pub created_at: i64,
    pub created_by: &'a str,
}

/// What storing one batch of a list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStored {
    Created(i64),
    /// The code was stored with the same values.
    Unchanged(i64),
    /// The code was stored with other values (nothing of the list is written then).
    Differs,
}

/// A test result as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TestResult {
    pub id: i64,
    pub batch_id: i64,
    /// `goods`, `packaging` or `environment`.
    pub sample_kind: String,
    /// `negative` or `positive`.
    pub result: String,
    pub tested_at: i64,
    pub lab: String,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// A test result to store.
#[derive(Debug, Clone)]
pub struct NewResult<'a> {
    pub sample_kind: &'a str,
    pub result: &'a str,
    pub tested_at: i64,
    pub lab: &'a str,
    pub recorded_at: i64,
    pub recorded_by: &'a str,
}

/// What a write did: whether it added a row, and how many tasks it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub created: bool,
    pub tasks_created: u64,
}

/// A movement of a batch downstream, with the facility's name when it went to one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Distribution {
    pub id: i64,
    pub batch_id: i64,
    pub location_key: String,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub facility_place_code: Option<String>,
    pub address: Option<String>,
    pub jurisdiction_code: String,
    pub quantity: f64,
    pub moved_at: i64,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// A movement to store.
#[derive(Debug, Clone)]
pub struct NewDistribution<'a> {
    pub location_key: &'a str,
    pub facility_id: Option<i64>,
    pub address: Option<&'a str>,
    pub jurisdiction_code: &'a str,
    pub quantity: f64,
    pub moved_at: i64,
    pub recorded_at: i64,
    pub recorded_by: &'a str,
}

/// What recording a movement did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Moved {
    Recorded(Recorded),
    /// The movement would take more than is left in store (this much is left).
    Exceeds {
        left: f64,
    },
}

/// A worker who handled a batch: the person shown only by name and masked document (the
/// caller masks the name), and the community of residence.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Exposure {
    pub id: i64,
    pub batch_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_doc_masked: String,
    pub community_code: String,
    pub location_key: String,
    pub handled_at: i64,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// An exposure to store.
#[derive(Debug, Clone)]
pub struct NewExposure<'a> {
    pub person_id: i64,
    pub location_key: &'a str,
    pub handled_at: i64,
    pub recorded_at: i64,
    pub recorded_by: &'a str,
}

/// A control task, with what it names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub batch_id: i64,
    pub batch_code: String,
    pub result_id: i64,
    /// `seal_and_disinfect` or `quarantine_worker`.
    pub kind: String,
    /// The location key, or `P<person id>`.
    pub target: String,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub facility_place_code: Option<String>,
    pub address: Option<String>,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub person_doc_masked: Option<String>,
    /// Where the task is routed: the location's jurisdiction or the worker's community.
    pub jurisdiction_code: String,
    /// `open` or `done`.
    pub status: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// The reader's code range (`Scope::code_bounds`); `None` for every jurisdiction.
    pub bounds: Option<(String, String)>,
    /// Only inside this code range (a community or any jurisdiction's subtree).
    pub within: Option<(String, String)>,
    pub batch_id: Option<i64>,
    pub task_id: Option<i64>,
    pub status: Option<String>,
    pub limit: i64,
}

/// Access to the cold-chain tables.
pub struct Coldchain<'a> {
    pub(crate) db: &'a crate::backend::Db,
}

const BATCH_SELECT: &str = "SELECT b.id, b.code, b.product, b.origin_country, b.port_of_entry, \
    b.cold_store_id, f.name AS cold_store_name, f.place_code AS cold_store_place_code, \
    b.jurisdiction_code, b.quantity, b.unit, b.arrived_at, b.trace_code, b.disinfection_cert, \
    b.status, b.sealed_at, b.created_at, b.created_by, \
    (SELECT COUNT(*) FROM coldchain_results r WHERE r.batch_id = b.id AND r.result = 'positive') \
    AS positives \
    FROM coldchain_batches b JOIN facilities f ON f.id = b.cold_store_id";

const RESULT_COLUMNS: &str =
    "id, batch_id, sample_kind, result, tested_at, lab, recorded_at, recorded_by";

const TASK_SELECT: &str = "SELECT t.id, t.batch_id, b.code AS batch_code, t.result_id, t.kind, \
    t.target, t.facility_id, f.name AS facility_name, f.place_code AS facility_place_code, \
    t.address, t.person_id, p.name AS person_name, p.doc_masked AS person_doc_masked, \
    t.jurisdiction_code, t.status, t.note, t.created_at, t.closed_at, t.closed_by \
    FROM coldchain_tasks t JOIN coldchain_batches b ON b.id = t.batch_id \
    LEFT JOIN facilities f ON f.id = t.facility_id LEFT JOIN persons p ON p.id = t.person_id";

/// The fan-out of a positive batch inside an open transaction `$tx`: a task per location and
/// per worker not yet tasked, referencing `$result`. Evaluates to the number of tasks added.
macro_rules! fan_out {
    ($tx:expr, $batch:expr, $result:expr, $now:expr) => {{
        let mut added = 0u64;
        for sql in [
            "INSERT INTO coldchain_tasks (batch_id, result_id, kind, target, facility_id, \
             jurisdiction_code, status, created_at) \
             SELECT b.id, CAST($2 AS BIGINT), 'seal_and_disinfect', 'F' || b.cold_store_id, \
             b.cold_store_id, b.jurisdiction_code, 'open', CAST($3 AS BIGINT) \
             FROM coldchain_batches b WHERE b.id = $1 \
             ON CONFLICT (batch_id, kind, target) DO NOTHING",
            "INSERT INTO coldchain_tasks (batch_id, result_id, kind, target, facility_id, \
             address, jurisdiction_code, status, created_at) \
             SELECT DISTINCT d.batch_id, CAST($2 AS BIGINT), 'seal_and_disinfect', \
             d.location_key, d.facility_id, d.address, d.jurisdiction_code, 'open', \
             CAST($3 AS BIGINT) FROM coldchain_distributions d WHERE d.batch_id = $1 \
             ON CONFLICT (batch_id, kind, target) DO NOTHING",
            "INSERT INTO coldchain_tasks (batch_id, result_id, kind, target, person_id, \
             jurisdiction_code, status, created_at) \
             SELECT DISTINCT e.batch_id, CAST($2 AS BIGINT), 'quarantine_worker', \
             'P' || e.person_id, e.person_id, p.community_code, 'open', CAST($3 AS BIGINT) \
             FROM coldchain_exposures e JOIN persons p ON p.id = e.person_id \
             WHERE e.batch_id = $1 ON CONFLICT (batch_id, kind, target) DO NOTHING",
        ] {
            added += sqlx::query(sql)
                .bind($batch)
                .bind($result)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
        }
        added
    }};
}

/// The first positive result of a batch inside an open transaction, if any.
macro_rules! first_positive {
    ($tx:expr, $batch:expr) => {{
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(id) FROM coldchain_results WHERE batch_id = $1 AND result = 'positive'",
        )
        .bind($batch)
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

impl Coldchain<'_> {
    /// A facility by its code: a place code (`P` and 16 digits) or its id. Not scoped: the
    /// caller checks the facility's community against the actor's scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn facility_by_code(&self, code: &str) -> Result<Option<Facility>> {
        let code = code.trim();
        let (sql, id) = if let Ok(id) = code.parse::<i64>() {
            (
                format!("SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = $1"),
                Some(id),
            )
        } else {
            (
                format!("SELECT {FACILITY_COLUMNS} FROM facilities WHERE place_code = $1"),
                None,
            )
        };
        Ok(with_db!(
            self.db,
            read | pool | {
                let q = sqlx::query_as(&sql);
                let q = match id {
                    Some(id) => q.bind(id),
                    None => q.bind(code.to_string()),
                };
                q.fetch_optional(pool).await?
            }
        ))
    }

    /// Stores batches in one transaction, all or none: a code already stored with the same
    /// values is left alone; if any code is stored with other values, nothing is written and
    /// the outcome names each such row as `Differs`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn add_batches(&self, batches: &[NewBatch<'_>]) -> Result<Vec<BatchStored>> {
        let mut out = Vec::with_capacity(batches.len());
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for b in batches {
                    #[allow(clippy::type_complexity)]
                    let existing: Option<(
                        i64,
                        String,
                        String,
                        String,
                        i64,
                        f64,
                        String,
                        i64,
                        String,
                        Option<String>,
                    )> = sqlx::query_as(
                        "SELECT id, product, origin_country, port_of_entry, cold_store_id, \
                         quantity, unit, arrived_at, trace_code, disinfection_cert \
                         FROM coldchain_batches WHERE code = $1",
                    )
                    .bind(b.code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(e) = existing {
                        let same = e.1 == b.product
                            && e.2 == b.origin_country
                            && e.3 == b.port_of_entry
                            && e.4 == b.cold_store_id
                            && e.5 == b.quantity
                            && e.6 == b.unit
                            && e.7 == b.arrived_at
                            && e.8 == b.trace_code
                            && e.9.as_deref() == b.disinfection_cert;
                        out.push(if same {
                            BatchStored::Unchanged(e.0)
                        } else {
                            BatchStored::Differs
                        });
                        continue;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO coldchain_batches (code, product, origin_country, \
                         port_of_entry, cold_store_id, jurisdiction_code, quantity, unit, \
                         arrived_at, trace_code, disinfection_cert, status, created_at, \
                         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                         'in_store', $12, $13) RETURNING id",
                    )
                    .bind(b.code)
                    .bind(b.product)
                    .bind(b.origin_country)
                    .bind(b.port_of_entry)
                    .bind(b.cold_store_id)
                    .bind(b.jurisdiction_code)
                    .bind(b.quantity)
                    .bind(b.unit)
                    .bind(b.arrived_at)
                    .bind(b.trace_code)
                    .bind(b.disinfection_cert)
                    .bind(b.created_at)
                    .bind(b.created_by)
                    .fetch_one(&mut *tx)
                    .await?;
                    out.push(BatchStored::Created(id));
                }
                if out.contains(&BatchStored::Differs) {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
            }
        );
        Ok(out)
    }

    /// Batches whose cold store lies in `bounds`, newest arrival first, optionally of one
    /// status.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn batches(
        &self,
        (lo, hi): (&str, &str),
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Batch>> {
        let sql = format!(
            "{BATCH_SELECT} WHERE b.jurisdiction_code >= $1 AND b.jurisdiction_code < $2 \
             AND ($3 IS NULL OR b.status = $3) ORDER BY b.arrived_at DESC, b.id DESC \
             LIMIT $4 OFFSET $5"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(lo)
                    .bind(hi)
                    .bind(status)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One batch by code, if its cold store lies in `bounds`.
    ///
    /// # Errors
    /// `NotFound` when absent or outside; `Unavailable` on database failure.
    pub async fn batch(&self, (lo, hi): (&str, &str), code: &str) -> Result<Batch> {
        let sql = format!(
            "{BATCH_SELECT} WHERE b.code = $1 AND b.jurisdiction_code >= $2 \
             AND b.jurisdiction_code < $3"
        );
        let found: Option<Batch> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(code)
                    .bind(lo)
                    .bind(hi)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Records a test result. The same test (batch, sample kind, time, lab) again changes
    /// nothing. A positive result seals the batch and runs the fan-out in the same
    /// transaction.
    ///
    /// # Errors
    /// `Conflict` when the same test was recorded with the other result; `Unavailable` on
    /// database failure.
    pub async fn record_result(&self, batch_id: i64, r: &NewResult<'_>) -> Result<Recorded> {
        let recorded = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let inserted: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO coldchain_results (batch_id, sample_kind, result, tested_at, \
                     lab, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (batch_id, sample_kind, tested_at, lab) DO NOTHING RETURNING id",
                )
                .bind(batch_id)
                .bind(r.sample_kind)
                .bind(r.result)
                .bind(r.tested_at)
                .bind(r.lab)
                .bind(r.recorded_at)
                .bind(r.recorded_by)
                .fetch_optional(&mut *tx)
                .await?;
                if inserted.is_none() {
                    let stored: String = sqlx::query_scalar(
                        "SELECT result FROM coldchain_results WHERE batch_id = $1 \
                         AND sample_kind = $2 AND tested_at = $3 AND lab = $4",
                    )
                    .bind(batch_id)
                    .bind(r.sample_kind)
                    .bind(r.tested_at)
                    .bind(r.lab)
                    .fetch_one(&mut *tx)
                    .await?;
                    if stored != r.result {
                        return Err(StoreError::Conflict {
                            constraint: "coldchain_results.result".to_string(),
                        });
                    }
                }
                let mut tasks_created = 0;
                if r.result == "positive" {
                    sqlx::query(
                        "UPDATE coldchain_batches SET status = 'sealed', sealed_at = $2 \
                         WHERE id = $1 AND status IN ('in_store', 'distributed')",
                    )
                    .bind(batch_id)
                    .bind(r.recorded_at)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(first) = first_positive!(tx, batch_id) {
                        tasks_created = fan_out!(tx, batch_id, first, r.recorded_at);
                    }
                }
                tx.commit().await?;
                Recorded {
                    created: inserted.is_some(),
                    tasks_created,
                }
            }
        );
        Ok(recorded)
    }

    /// A batch's test results, by test time.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn results(&self, batch_id: i64) -> Result<Vec<TestResult>> {
        let sql = format!(
            "SELECT {RESULT_COLUMNS} FROM coldchain_results WHERE batch_id = $1 \
             ORDER BY tested_at, id"
        );
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(batch_id).fetch_all(pool).await? }
        ))
    }

    /// Records a movement downstream. The same movement (location and time) again changes
    /// nothing; a movement beyond what is left in store is not written. The batch becomes
    /// `distributed` if it was `in_store`; a positive batch opens the new location's task.
    ///
    /// # Errors
    /// `Conflict` when the same movement was recorded with another quantity; `Unavailable`
    /// on database failure.
    pub async fn add_distribution(&self, batch_id: i64, d: &NewDistribution<'_>) -> Result<Moved> {
        let moved = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let existing: Option<f64> = sqlx::query_scalar(
                    "SELECT quantity FROM coldchain_distributions WHERE batch_id = $1 \
                     AND location_key = $2 AND moved_at = $3",
                )
                .bind(batch_id)
                .bind(d.location_key)
                .bind(d.moved_at)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some(q) if q == d.quantity => {
                        return Ok(Moved::Recorded(Recorded {
                            created: false,
                            tasks_created: 0,
                        }))
                    }
                    Some(_) => {
                        return Err(StoreError::Conflict {
                            constraint: "coldchain_distributions.quantity".to_string(),
                        })
                    }
                    None => {}
                }
                let (total, moved): (f64, f64) = sqlx::query_as(
                    "SELECT b.quantity, COALESCE((SELECT SUM(d.quantity) FROM \
                     coldchain_distributions d WHERE d.batch_id = b.id), 0.0) \
                     FROM coldchain_batches b WHERE b.id = $1",
                )
                .bind(batch_id)
                .fetch_one(&mut *tx)
                .await?;
                let left = total - moved;
                if d.quantity > left + 1e-9 {
                    return Ok(Moved::Exceeds { left });
                }
                sqlx::query(
                    "INSERT INTO coldchain_distributions (batch_id, location_key, facility_id, \
                     address, jurisdiction_code, quantity, moved_at, recorded_at, recorded_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(batch_id)
                .bind(d.location_key)
                .bind(d.facility_id)
                .bind(d.address)
                .bind(d.jurisdiction_code)
                .bind(d.quantity)
                .bind(d.moved_at)
                .bind(d.recorded_at)
                .bind(d.recorded_by)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE coldchain_batches SET status = 'distributed' \
                     WHERE id = $1 AND status = 'in_store'",
                )
                .bind(batch_id)
                .execute(&mut *tx)
                .await?;
                let mut tasks_created = 0;
                if let Some(first) = first_positive!(tx, batch_id) {
                    tasks_created = fan_out!(tx, batch_id, first, d.recorded_at);
                }
                tx.commit().await?;
                Moved::Recorded(Recorded {
                    created: true,
                    tasks_created,
                })
            }
        );
        Ok(moved)
    }

    /// A batch's movements downstream, by time.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn distributions(&self, batch_id: i64) -> Result<Vec<Distribution>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT d.id, d.batch_id, d.location_key, d.facility_id, \
                     f.name AS facility_name, f.place_code AS facility_place_code, d.address, \
                     d.jurisdiction_code, d.quantity, d.moved_at, d.recorded_at, d.recorded_by \
                     FROM coldchain_distributions d LEFT JOIN facilities f ON f.id = d.facility_id \
                     WHERE d.batch_id = $1 ORDER BY d.moved_at, d.id",
                )
                .bind(batch_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Records a worker who handled a batch. The same exposure again changes nothing; a
    /// positive batch opens the worker's quarantine task.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn add_exposure(&self, batch_id: i64, e: &NewExposure<'_>) -> Result<Recorded> {
        Ok(with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let inserted: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO coldchain_exposures (batch_id, person_id, location_key, \
                     handled_at, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (batch_id, person_id, location_key, handled_at) DO NOTHING \
                     RETURNING id",
                )
                .bind(batch_id)
                .bind(e.person_id)
                .bind(e.location_key)
                .bind(e.handled_at)
                .bind(e.recorded_at)
                .bind(e.recorded_by)
                .fetch_optional(&mut *tx)
                .await?;
                let mut tasks_created = 0;
                if inserted.is_some() {
                    if let Some(first) = first_positive!(tx, batch_id) {
                        tasks_created = fan_out!(tx, batch_id, first, e.recorded_at);
                    }
                }
                tx.commit().await?;
                Recorded {
                    created: inserted.is_some(),
                    tasks_created,
                }
            }
        ))
    }

    /// The workers who handled a batch, by time (names as stored: the caller masks them).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn exposures(&self, batch_id: i64) -> Result<Vec<Exposure>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT e.id, e.batch_id, e.person_id, p.name AS person_name, \
                     p.doc_masked AS person_doc_masked, p.community_code, e.location_key, \
                     e.handled_at, e.recorded_at, e.recorded_by \
                     FROM coldchain_exposures e JOIN persons p ON p.id = e.person_id \
                     WHERE e.batch_id = $1 ORDER BY e.handled_at, e.id",
                )
                .bind(batch_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Tasks by the filter, oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn tasks(&self, f: &TaskFilter) -> Result<Vec<Task>> {
        let (lo, hi) = f
            .bounds
            .clone()
            .unwrap_or_else(|| (String::new(), ":".to_string()));
        let (wlo, whi) = f
            .within
            .clone()
            .unwrap_or_else(|| (String::new(), ":".to_string()));
        let sql = format!(
            "{TASK_SELECT} WHERE t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2 \
             AND t.jurisdiction_code >= $3 AND t.jurisdiction_code < $4 \
             AND ($5 IS NULL OR t.batch_id = $5) AND ($6 IS NULL OR t.id = $6) \
             AND ($7 IS NULL OR t.status = $7) ORDER BY t.created_at, t.id LIMIT $8"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(f.batch_id)
                    .bind(f.task_id)
                    .bind(f.status.as_deref())
                    .bind(f.limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Closes an open task routed inside `bounds` as done, with the note.
    ///
    /// # Errors
    /// `NotFound` when there is no such task inside; `Conflict` when it is already done;
    /// `Unavailable` on database failure.
    pub async fn close_task(
        &self,
        id: i64,
        (lo, hi): (&str, &str),
        note: &str,
        at: i64,
        by: &str,
    ) -> Result<Task> {
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE coldchain_tasks SET status = 'done', note = $1, closed_at = $2, \
                     closed_by = $3 WHERE id = $4 AND jurisdiction_code >= $5 \
                     AND jurisdiction_code < $6 AND status = 'open'",
                )
                .bind(note)
                .bind(at)
                .bind(by)
                .bind(id)
                .bind(lo)
                .bind(hi)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        let found = self
            .tasks(&TaskFilter {
                bounds: Some((lo.to_string(), hi.to_string())),
                task_id: Some(id),
                limit: 1,
                ..TaskFilter::default()
            })
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        if done == 0 {
            return Err(StoreError::Conflict {
                constraint: "coldchain_tasks.status".to_string(),
            });
        }
        Ok(found)
    }
}
