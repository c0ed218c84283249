//! Inbound control's people: travel entries (来驻返驻), the control measures assigned to
//! people by a policy version, their daily health checks and the reviews raised when a
//! designation or a policy version would change an open measure.
//!
//! Classifying is the app's and the domain's work; this module stores what they decided.
//! Reads of people take a `&Scope` and keep to its communities.

use fangkong_domain::Scope;

use crate::backend::{with_db, with_raw_sqlite, Db};
use crate::persons::{changed_fields, upsert_one, CurrentFields, PreparedPerson, Upserted};
use crate::{Result, StoreError};

/// What is stored of one arrival.
#[derive(Debug, Clone)]
pub struct TravelFields {
    /// `international` or `domestic`.
    pub pocket: String,
    /// A jurisdiction code (domestic) or an ISO 3166 country code (international).
    pub origin: String,
    pub origin_address: Option<String>,
    pub route: Option<String>,
    /// `YYYY-MM-DD`.
    pub departed_on: Option<String>,
    pub arrived_at: i64,
    /// `YYYY-MM-DD` (China Standard Time) of `arrived_at`.
    pub arrival_day: String,
    pub community_code: String,
    /// `self_report`, `checkpoint`, `file_import` or `upper_push`.
    pub source: String,
    pub vaccination: Option<String>,
    pub occupation: Option<String>,
}

/// A classification to store as a measure: the facts it was made on and what it decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureFields {
    pub pocket: String,
    pub origin: Option<String>,
    pub origin_address: Option<String>,
    pub departed_on: Option<String>,
    pub origin_risk: Option<String>,
    pub contact: Option<String>,
    pub vaccination: Option<String>,
    pub occupation: Option<String>,
    pub policy_version: String,
    pub rule_id: String,
    /// `kind:days,...`.
    pub stages: String,
    /// `1,2,3`.
    pub test_days: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    /// `YYYY-MM-DD`, day 1.
    pub starts_on: String,
    /// `YYYY-MM-DD`, the last day.
    pub ends_on: String,
}

/// One arrival to record: the person (registered or updated by document), the entry and,
/// when the policy prescribes one, the measure.
#[derive(Clone)]
pub struct Arrival {
    pub person: PreparedPerson,
    pub travel: TravelFields,
    pub measure: Option<MeasureFields>,
}

/// What recording arrivals did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrivalsRecorded {
    pub persons_created: u64,
    pub persons_updated: u64,
    pub entries_created: u64,
    /// Entries of the same person, origin and day already stored, whose gaps were filled.
    pub entries_merged: u64,
    pub entries_unchanged: u64,
    pub measures_created: u64,
    /// Per arrival, the entry's id.
    pub entry_ids: Vec<i64>,
}

/// A stored travel entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TravelEntry {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub pocket: String,
    pub origin: String,
    pub origin_address: Option<String>,
    pub route: Option<String>,
    pub departed_on: Option<String>,
    pub arrived_at: i64,
    pub arrival_day: String,
    pub community_code: String,
    pub source: String,
    pub vaccination: Option<String>,
    pub occupation: Option<String>,
    pub created_at: i64,
    /// The measure assigned for this arrival, if any.
    pub measure_id: Option<i64>,
}

/// A stored control measure with its person's name (shown masked) and household.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Measure {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub doc_masked: String,
    pub household_id: Option<i64>,
    pub community_code: String,
    pub travel_entry_id: Option<i64>,
    pub source_ref: Option<String>,
    pub pocket: String,
    pub origin: Option<String>,
    pub origin_address: Option<String>,
    pub departed_on: Option<String>,
    pub origin_risk: Option<String>,
    pub contact: Option<String>,
    pub vaccination: Option<String>,
    pub occupation: Option<String>,
    pub policy_version: String,
    pub rule_id: String,
    pub stages: String,
    pub test_days: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    pub assigned_at: i64,
    pub activated_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub close_reason: Option<String>,
    pub closed_by: Option<String>,
}

impl Measure {
    /// Whether the measure is still open (assigned or active).
    pub fn is_open(&self) -> bool {
        self.status == "assigned" || self.status == "active"
    }
}

/// A daily health check.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HealthCheck {
    pub id: i64,
    pub measure_id: i64,
    pub day: String,
    pub temperature: f64,
    /// Comma-separated symptom keys; empty for none.
    pub symptoms: String,
    /// `staff`, `self` or `household`.
    pub reported_by: String,
    pub reporter: String,
    pub recorded_at: i64,
}

/// A health check to record.
#[derive(Debug, Clone)]
pub struct NewHealthCheck<'a> {
    pub measure_id: i64,
    pub day: &'a str,
    pub temperature: f64,
    pub symptoms: &'a str,
    pub reported_by: &'a str,
    pub reporter: &'a str,
    pub recorded_at: i64,
}

/// A sample of a person: when it was collected and its tube's latest status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonSample {
    pub person_id: i64,
    pub collected_at: i64,
    pub tube_code: String,
    pub pool_size: i64,
    /// `collected`, `negative`, `positive` or `inconclusive`.
    pub status: String,
}

/// A re-evaluation for staff to apply or dismiss: of an open measure, or of an arrival that
/// has none (applying it assigns one).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Review {
    pub id: i64,
    pub measure_id: Option<i64>,
    pub travel_entry_id: Option<i64>,
    pub person_name: String,
    pub community_code: String,
    pub trigger_kind: String,
    pub trigger_ref: String,
    pub old_rule_id: String,
    pub old_text_zh: String,
    pub policy_version: String,
    pub rule_id: String,
    pub origin_risk: Option<String>,
    pub stages: String,
    pub test_days: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
}

/// What a review is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSubject {
    /// An open measure.
    Measure(i64),
    /// An arrival without a measure.
    Arrival(i64),
}

/// A review to raise.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub subject: ReviewSubject,
    /// `risk_area` or `policy`.
    pub trigger_kind: &'static str,
    pub trigger_ref: String,
    pub old_rule_id: String,
    pub old_text_zh: String,
    /// The classification it would change to.
    pub fields: MeasureFields,
}

/// Filters of a measure listing.
#[derive(Debug, Clone, Default)]
pub struct MeasureFilter<'a> {
    /// Only these statuses (all when empty).
    pub statuses: &'a [&'a str],
    /// Only this subtree (inside the scope).
    pub within: Option<&'a str>,
    pub person_id: Option<i64>,
    pub limit: i64,
}

/// Access to travel entries, measures, health checks and reviews.
pub struct Measures<'a> {
    pub(crate) db: &'a crate::backend::Db,
}

const MEASURE_COLUMNS: &str = "m.id, m.person_id, p.name AS person_name, p.doc_masked, \
    p.household_id, m.community_code, m.travel_entry_id, m.source_ref, m.pocket, m.origin, \
    m.origin_address, m.departed_on, m.origin_risk, m.contact, m.vaccination, m.occupation, \
    m.policy_version, m.rule_id, m.stages, m.test_days, m.explanation_zh, m.explanation_en, \
    m.starts_on, m.ends_on, m.status, m.assigned_at, m.activated_at, m.closed_at, \
    m.close_reason, m.closed_by";

const MEASURE_INSERT: &str = "INSERT INTO control_measures (person_id, community_code, \
    travel_entry_id, source_ref, pocket, origin, origin_address, departed_on, origin_risk, \
    contact, vaccination, occupation, policy_version, rule_id, stages, test_days, \
    explanation_zh, explanation_en, starts_on, ends_on, status, assigned_at) VALUES ($1, $2, \
    $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
    'assigned', $21) ON CONFLICT DO NOTHING RETURNING id";

/// Binds a measure insert's parameters.
macro_rules! bind_measure {
    ($q:expr, $person:expr, $community:expr, $entry:expr, $source_ref:expr, $m:expr, $at:expr) => {
        $q.bind($person)
            .bind($community)
            .bind($entry)
            .bind($source_ref)
            .bind(&$m.pocket)
            .bind(&$m.origin)
            .bind(&$m.origin_address)
            .bind(&$m.departed_on)
            .bind(&$m.origin_risk)
            .bind(&$m.contact)
            .bind(&$m.vaccination)
            .bind(&$m.occupation)
            .bind(&$m.policy_version)
            .bind(&$m.rule_id)
            .bind(&$m.stages)
            .bind(&$m.test_days)
            .bind(&$m.explanation_zh)
            .bind(&$m.explanation_en)
            .bind(&$m.starts_on)
            .bind(&$m.ends_on)
            .bind($at)
    };
}

impl Measures<'_> {
    /// Records arrivals in one transaction (all or none): each person registered or updated
    /// by document, each entry inserted or, when the same person, origin and arrival day is
    /// stored, merged into it (only its empty fields are filled), and each measure assigned
    /// unless the entry has one already. Re-recording the same arrivals changes nothing.
    ///
    /// # Errors
    /// `Forbidden` when a community lies outside the scope (nothing is written then);
    /// `Unavailable` on database failure.
    pub async fn record_arrivals(
        &self,
        scope: &Scope,
        arrivals: &[Arrival],
        actor: &str,
        now_ms: i64,
    ) -> Result<ArrivalsRecorded> {
        for a in arrivals {
            if !scope.covers(&a.travel.community_code) {
                return Err(StoreError::Forbidden);
            }
        }
        let pool = match self.db {
            Db::Sqlite { write, .. } => {
                // Through the driver each statement is a round trip to its worker thread;
                // for a list of 100 000 arrivals (six statements each) that cost more than
                // the B-tree work. The same transaction, on the raw connection.
                let mut tx = write.begin().await?;
                let out = with_raw_sqlite(&mut tx, |db| {
                    record_arrivals_raw(db, arrivals, actor, now_ms)
                })
                .await?;
                tx.commit().await?;
                return Ok(out);
            }
            Db::Postgres(pool) => pool,
        };
        let mut out = ArrivalsRecorded::default();
        let mut tx = pool.begin().await?;
        for a in arrivals {
            let (person_id, upserted) = upsert_one!(tx, &a.person, now_ms, actor);
            match upserted {
                Upserted::Created => out.persons_created += 1,
                Upserted::Updated => out.persons_updated += 1,
                Upserted::Unchanged => {}
            }
            let t = &a.travel;
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM travel_entries \
                 WHERE person_id = $1 AND origin = $2 AND arrival_day = $3",
            )
            .bind(person_id)
            .bind(&t.origin)
            .bind(&t.arrival_day)
            .fetch_optional(&mut *tx)
            .await?;
            let entry_id = match found {
                Some((id,)) => {
                    let changed = sqlx::query(
                        "UPDATE travel_entries SET \
                         origin_address = COALESCE(origin_address, $2), \
                         route = COALESCE(route, $3), \
                         departed_on = COALESCE(departed_on, $4), \
                         vaccination = COALESCE(vaccination, $5), \
                         occupation = COALESCE(occupation, $6), updated_at = $7 \
                         WHERE id = $1 AND ( \
                         (origin_address IS NULL AND $2 IS NOT NULL) OR \
                         (route IS NULL AND $3 IS NOT NULL) OR \
                         (departed_on IS NULL AND $4 IS NOT NULL) OR \
                         (vaccination IS NULL AND $5 IS NOT NULL) OR \
                         (occupation IS NULL AND $6 IS NOT NULL))",
                    )
                    .bind(id)
                    .bind(&t.origin_address)
                    .bind(&t.route)
                    .bind(&t.departed_on)
                    .bind(&t.vaccination)
                    .bind(&t.occupation)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed > 0 {
                        out.entries_merged += 1;
                    } else {
                        out.entries_unchanged += 1;
                    }
                    id
                }
                None => {
                    out.entries_created += 1;
                    sqlx::query_scalar(
                        "INSERT INTO travel_entries (person_id, pocket, origin, \
                         origin_address, route, departed_on, arrived_at, arrival_day, \
                         community_code, source, vaccination, occupation, created_at, \
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                         $11, $12, $13, $13) RETURNING id",
                    )
                    .bind(person_id)
                    .bind(&t.pocket)
                    .bind(&t.origin)
                    .bind(&t.origin_address)
                    .bind(&t.route)
                    .bind(&t.departed_on)
                    .bind(t.arrived_at)
                    .bind(&t.arrival_day)
                    .bind(&t.community_code)
                    .bind(&t.source)
                    .bind(&t.vaccination)
                    .bind(&t.occupation)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            out.entry_ids.push(entry_id);
            if let Some(m) = &a.measure {
                let source_ref = format!("travel:{entry_id}");
                let id: Option<i64> = bind_measure!(
                    sqlx::query_scalar(MEASURE_INSERT),
                    person_id,
                    &t.community_code,
                    Some(entry_id),
                    &source_ref,
                    m,
                    now_ms
                )
                .fetch_optional(&mut *tx)
                .await?;
                out.measures_created += u64::from(id.is_some());
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Assigns a measure to a registered person for a reason other than an arrival (a
    /// contact, a cold-chain exposure, a fever-clinic visit). `source_ref` names the reason
    /// (e.g. `coldchain:12`): the same person and reason is assigned once.
    ///
    /// Returns the measure's id and whether it was created now.
    ///
    /// # Errors
    /// `NotFound` when the person is unknown or outside the scope; `Unavailable` on database
    /// failure.
    pub async fn assign(
        &self,
        scope: &Scope,
        person_id: i64,
        source_ref: &str,
        m: &MeasureFields,
        now_ms: i64,
    ) -> Result<(i64, bool)> {
        let (lo, hi) = scope.code_bounds();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let community: Option<String> = sqlx::query_scalar(
                    "SELECT community_code FROM persons WHERE id = $1 \
                     AND community_code >= $2 AND community_code < $3 AND merged_into IS NULL",
                )
                .bind(person_id)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(&mut *tx)
                .await?;
                let community = community.ok_or(StoreError::NotFound)?;
                let id: Option<i64> = bind_measure!(
                    sqlx::query_scalar(MEASURE_INSERT),
                    person_id,
                    &community,
                    None::<i64>,
                    source_ref,
                    m,
                    now_ms
                )
                .fetch_optional(&mut *tx)
                .await?;
                let out = match id {
                    Some(id) => (id, true),
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "SELECT id FROM control_measures \
                             WHERE person_id = $1 AND source_ref = $2",
                        )
                        .bind(person_id)
                        .bind(source_ref)
                        .fetch_one(&mut *tx)
                        .await?;
                        (id, false)
                    }
                };
                tx.commit().await?;
                Ok(out)
            }
        )
    }

    /// Travel entries in the scope's communities, newest arrival first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn travel_entries(
        &self,
        scope: &Scope,
        within: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TravelEntry>> {
        let (lo, hi) = bounds(scope, within);
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT t.id, t.person_id, p.name AS person_name, t.pocket, t.origin, \
                     t.origin_address, t.route, t.departed_on, t.arrived_at, t.arrival_day, \
                     t.community_code, t.source, t.vaccination, t.occupation, t.created_at, \
                     m.id AS measure_id FROM travel_entries t \
                     JOIN persons p ON p.id = t.person_id \
                     LEFT JOIN control_measures m ON m.travel_entry_id = t.id \
                     WHERE t.community_code >= $1 AND t.community_code < $2 \
                     ORDER BY t.arrived_at DESC, t.id DESC LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Arrivals on or after `since_day` that have no measure (classified "no control"),
    /// everywhere: the arrivals a new designation or policy version may concern.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn unmeasured_entries(&self, since_day: &str) -> Result<Vec<TravelEntry>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT t.id, t.person_id, p.name AS person_name, t.pocket, t.origin, \
                     t.origin_address, t.route, t.departed_on, t.arrived_at, t.arrival_day, \
                     t.community_code, t.source, t.vaccination, t.occupation, t.created_at, \
                     NULL AS measure_id FROM travel_entries t \
                     JOIN persons p ON p.id = t.person_id \
                     WHERE t.arrival_day >= $1 AND NOT EXISTS \
                     (SELECT 1 FROM control_measures m WHERE m.travel_entry_id = t.id) \
                     ORDER BY t.id",
                )
                .bind(since_day)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The arrival day (`YYYY-MM-DD`) of a travel entry.
    ///
    /// # Errors
    /// `NotFound` for an unknown entry; `Unavailable` on database failure.
    pub async fn arrival_day(&self, entry_id: i64) -> Result<String> {
        let found: Option<String> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar("SELECT arrival_day FROM travel_entries WHERE id = $1")
                    .bind(entry_id)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Number of travel entries in the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_travel_entries(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM travel_entries \
                     WHERE community_code >= $1 AND community_code < $2",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// One measure in the scope.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or lies outside the scope; `Unavailable` on
    /// database failure.
    pub async fn measure(&self, scope: &Scope, id: i64) -> Result<Measure> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM control_measures m JOIN persons p ON p.id = m.person_id \
             WHERE m.id = $1 AND m.community_code >= $2 AND m.community_code < $3"
        );
        let found: Option<Measure> = with_db!(
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
        found.ok_or(StoreError::NotFound)
    }

    /// Measures in the scope, by id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn measures(&self, scope: &Scope, f: &MeasureFilter<'_>) -> Result<Vec<Measure>> {
        let (lo, hi) = bounds(scope, f.within);
        let statuses = if f.statuses.is_empty() {
            "TRUE".to_string()
        } else {
            format!(
                "m.status IN ({})",
                f.statuses
                    .iter()
                    .filter(|s| s.chars().all(|c| c.is_ascii_lowercase()))
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM control_measures m JOIN persons p ON p.id = m.person_id \
             WHERE m.community_code >= $1 AND m.community_code < $2 AND {statuses} \
             AND ($3 IS NULL OR m.person_id = $3) ORDER BY m.id LIMIT $4"
        );
        let limit = if f.limit > 0 { f.limit } else { i64::MAX };
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(f.person_id)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// The open measures of a household's members, by person (for a household's personal
    /// link).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn household_open(&self, household_id: i64) -> Result<Vec<Measure>> {
        let sql = format!(
            "SELECT {MEASURE_COLUMNS} FROM control_measures m JOIN persons p ON p.id = m.person_id \
             WHERE p.household_id = $1 AND m.status IN ('assigned', 'active') \
             ORDER BY m.person_id, m.id"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(household_id)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Moves a measure in the scope from one of `from` to `to`, recording when, why and by
    /// whom (`activated_at` for `active`, `closed_*` otherwise).
    ///
    /// # Errors
    /// `NotFound` when it is not in the scope; `Conflict` when its status is not one of
    /// `from`; `Unavailable` on database failure.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_status(
        &self,
        scope: &Scope,
        id: i64,
        from: &[&str],
        to: &str,
        at: i64,
        reason: Option<&str>,
        by: &str,
    ) -> Result<Measure> {
        let current = self.measure(scope, id).await?;
        if !from.contains(&current.status.as_str()) {
            return Err(StoreError::Conflict {
                constraint: format!("measure {id} is {}", current.status),
            });
        }
        let sql = if to == "active" {
            "UPDATE control_measures SET status = $2, activated_at = $3 \
             WHERE id = $1 AND status = $4"
        } else {
            "UPDATE control_measures SET status = $2, closed_at = $3, close_reason = $5, \
             closed_by = $6 WHERE id = $1 AND status = $4"
        };
        let changed = with_db!(
            self.db,
            write | pool | {
                sqlx::query(sql)
                    .bind(id)
                    .bind(to)
                    .bind(at)
                    .bind(&current.status)
                    .bind(reason)
                    .bind(by)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
        );
        if changed == 0 {
            return Err(StoreError::Conflict {
                constraint: format!("measure {id} changed meanwhile"),
            });
        }
        self.measure(scope, id).await
    }

    /// Records a health check; a second report for the same measure and day replaces the
    /// first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn record_health_check(&self, c: &NewHealthCheck<'_>) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO health_checks (measure_id, day, temperature, symptoms, \
                     reported_by, reporter, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (measure_id, day) DO UPDATE SET \
                     temperature = excluded.temperature, symptoms = excluded.symptoms, \
                     reported_by = excluded.reported_by, reporter = excluded.reporter, \
                     recorded_at = excluded.recorded_at",
                )
                .bind(c.measure_id)
                .bind(c.day)
                .bind(c.temperature)
                .bind(c.symptoms)
                .bind(c.reported_by)
                .bind(c.reporter)
                .bind(c.recorded_at)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }

    /// The health checks of measures, by measure and day.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn health_checks(&self, measure_ids: &[i64]) -> Result<Vec<HealthCheck>> {
        let mut out = Vec::new();
        for chunk in measure_ids.chunks(500) {
            let sql = format!(
                "SELECT id, measure_id, day, temperature, symptoms, reported_by, reporter, \
                 recorded_at FROM health_checks WHERE measure_id IN ({}) ORDER BY measure_id, day",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<HealthCheck> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        Ok(out)
    }

    /// The samples of persons collected in `[from_ms, to_ms)`, with their tubes' latest
    /// status, by person and time.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn samples(
        &self,
        person_ids: &[i64],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<PersonSample>> {
        let mut out = Vec::new();
        for chunk in person_ids.chunks(500) {
            let sql = format!(
                "SELECT s.person_id, s.collected_at, t.code AS tube_code, t.pool_size, t.status \
                 FROM samples s JOIN tubes t ON t.id = s.tube_id \
                 WHERE s.person_id IN ({}) AND s.collected_at >= ${} AND s.collected_at < ${} \
                 ORDER BY s.person_id, s.collected_at",
                self.db.placeholders(1, chunk.len()),
                chunk.len() + 1,
                chunk.len() + 2
            );
            let rows: Vec<PersonSample> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.bind(from_ms).bind(to_ms).fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        Ok(out)
    }

    /// Raises reviews in one transaction; a measure's earlier pending reviews are marked
    /// `superseded` by a new one, and the same trigger for the same measure is raised once.
    ///
    /// Returns the number raised.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn raise_reviews(&self, reviews: &[NewReview], now_ms: i64) -> Result<u64> {
        let mut raised = 0;
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for r in reviews {
                    let (measure, entry) = match r.subject {
                        ReviewSubject::Measure(id) => (Some(id), None),
                        ReviewSubject::Arrival(id) => (None, Some(id)),
                    };
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO measure_reviews (measure_id, trigger_kind, trigger_ref, \
                         old_rule_id, old_text_zh, policy_version, rule_id, origin_risk, stages, \
                         test_days, explanation_zh, explanation_en, created_at, travel_entry_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                         ON CONFLICT DO NOTHING RETURNING id",
                    )
                    .bind(measure)
                    .bind(r.trigger_kind)
                    .bind(&r.trigger_ref)
                    .bind(&r.old_rule_id)
                    .bind(&r.old_text_zh)
                    .bind(&r.fields.policy_version)
                    .bind(&r.fields.rule_id)
                    .bind(&r.fields.origin_risk)
                    .bind(&r.fields.stages)
                    .bind(&r.fields.test_days)
                    .bind(&r.fields.explanation_zh)
                    .bind(&r.fields.explanation_en)
                    .bind(now_ms)
                    .bind(entry)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(id) = id {
                        raised += 1;
                        sqlx::query(
                            "UPDATE measure_reviews SET status = 'superseded', decided_at = $4 \
                             WHERE (measure_id = $1 OR travel_entry_id = $2) AND id <> $3 \
                             AND status = 'pending'",
                        )
                        .bind(measure)
                        .bind(entry)
                        .bind(id)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
            }
        );
        Ok(raised)
    }

    /// Reviews of measures in the scope, newest first; only pending ones, or all.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn reviews(&self, scope: &Scope, pending_only: bool) -> Result<Vec<Review>> {
        self.select_reviews(scope, pending_only, None).await
    }

    /// One review of a measure or arrival in the scope.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or lies outside the scope; `Unavailable` on
    /// database failure.
    pub async fn review(&self, scope: &Scope, id: i64) -> Result<Review> {
        self.select_reviews(scope, false, Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn select_reviews(
        &self,
        scope: &Scope,
        pending_only: bool,
        id: Option<i64>,
    ) -> Result<Vec<Review>> {
        let (lo, hi) = scope.code_bounds();
        let pending = if pending_only {
            "r.status = 'pending'"
        } else {
            "TRUE"
        };
        let sql = format!(
            "SELECT r.id, r.measure_id, r.travel_entry_id, p.name AS person_name, \
             COALESCE(m.community_code, t.community_code) AS community_code, r.trigger_kind, \
             r.trigger_ref, r.old_rule_id, r.old_text_zh, r.policy_version, r.rule_id, \
             r.origin_risk, r.stages, r.test_days, r.explanation_zh, r.explanation_en, r.status, \
             r.created_at, r.decided_at, r.decided_by FROM measure_reviews r \
             LEFT JOIN control_measures m ON m.id = r.measure_id \
             LEFT JOIN travel_entries t ON t.id = r.travel_entry_id \
             JOIN persons p ON p.id = COALESCE(m.person_id, t.person_id) \
             WHERE COALESCE(m.community_code, t.community_code) >= $1 \
             AND COALESCE(m.community_code, t.community_code) < $2 AND {pending} \
             AND ($3 IS NULL OR r.id = $3) ORDER BY r.id DESC"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(id)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Decides a pending review of a measure in the scope: `applied` replaces the measure's
    /// classification with the review's (and its last day with `ends_on`), `dismissed`
    /// keeps it; in one transaction.
    ///
    /// # Errors
    /// `NotFound` when the review is not in the scope; `Conflict` when it is not pending or
    /// its measure is closed; `Unavailable` on database failure.
    pub async fn decide_review(
        &self,
        scope: &Scope,
        id: i64,
        apply: Option<&str>,
        at: i64,
        by: &str,
    ) -> Result<Review> {
        let review = self.review(scope, id).await?;
        if review.status != "pending" {
            return Err(StoreError::Conflict {
                constraint: format!("review {id} is {}", review.status),
            });
        }
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let status = if let (Some(ends_on), Some(entry)) = (apply, review.travel_entry_id) {
                    // An arrival without a measure: the measure is assigned now, from the
                    // arrival's facts and the review's classification; day 1 is the arrival.
                    let n = sqlx::query(
                        "INSERT INTO control_measures (person_id, community_code, \
                         travel_entry_id, source_ref, pocket, origin, origin_address, departed_on, \
                         origin_risk, vaccination, occupation, policy_version, rule_id, stages, \
                         test_days, explanation_zh, explanation_en, starts_on, ends_on, status, \
                         assigned_at) SELECT t.person_id, t.community_code, t.id, \
                         'travel:' || t.id, t.pocket, t.origin, t.origin_address, t.departed_on, \
                         $2, t.vaccination, t.occupation, $3, $4, $5, $6, $7, $8, t.arrival_day, \
                         $9, 'assigned', $10 FROM travel_entries t WHERE t.id = $1 \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(entry)
                    .bind(&review.origin_risk)
                    .bind(&review.policy_version)
                    .bind(&review.rule_id)
                    .bind(&review.stages)
                    .bind(&review.test_days)
                    .bind(&review.explanation_zh)
                    .bind(&review.explanation_en)
                    .bind(ends_on)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::Conflict {
                            constraint: format!("arrival {entry} has a measure already"),
                        });
                    }
                    "applied"
                } else if let Some(ends_on) = apply {
                    let n = sqlx::query(
                        "UPDATE control_measures SET policy_version = $2, rule_id = $3, \
                         origin_risk = $4, stages = $5, test_days = $6, explanation_zh = $7, \
                         explanation_en = $8, ends_on = $9 \
                         WHERE id = $1 AND status IN ('assigned', 'active')",
                    )
                    .bind(review.measure_id)
                    .bind(&review.policy_version)
                    .bind(&review.rule_id)
                    .bind(&review.origin_risk)
                    .bind(&review.stages)
                    .bind(&review.test_days)
                    .bind(&review.explanation_zh)
                    .bind(&review.explanation_en)
                    .bind(ends_on)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::Conflict {
                            constraint: format!(
                                "measure {} is closed",
                                review.measure_id.unwrap_or_default()
                            ),
                        });
                    }
                    "applied"
                } else {
                    "dismissed"
                };
                sqlx::query(
                    "UPDATE measure_reviews SET status = $2, decided_at = $3, decided_by = $4 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .bind(status)
                .bind(at)
                .bind(by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        );
        self.review(scope, id).await
    }
}

/// The bounds of `within` when given (the app checks it lies in the scope), else the scope's.
fn bounds(scope: &Scope, within: Option<&str>) -> (String, String) {
    match within.and_then(|w| fangkong_domain::JurisdictionCode::parse(w).ok()) {
        Some(code) if scope.covers(code.as_str()) => code.subtree_bounds(),
        // A code outside the scope selects nothing.
        Some(_) => (String::new(), String::new()),
        None => scope.code_bounds(),
    }
}

/// [`Measures::record_arrivals`] on SQLite's raw connection, inside the caller's
/// transaction: the same statements as the driver path, each prepared once.
fn record_arrivals_raw(
    db: &rusqlite::Connection,
    arrivals: &[Arrival],
    actor: &str,
    now_ms: i64,
) -> rusqlite::Result<ArrivalsRecorded> {
    use rusqlite::{named_params, params, OptionalExtension as _};
    let mut out = ArrivalsRecorded::default();
    let mut find_person =
        db.prepare_cached("SELECT id, merged_into FROM persons WHERE doc_blind = ?1")?;
    let mut insert_person = db.prepare_cached(&format!(
        "INSERT INTO persons ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
         ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) RETURNING id",
        crate::persons::INSERT_COLUMNS
    ))?;
    let mut current = db.prepare_cached(
        "SELECT name, phone_blind, address, community_code, tags FROM persons WHERE id = ?1",
    )?;
    let mut update_person = db.prepare_cached(crate::persons::UPSERT_UPDATE)?;
    let mut event = db.prepare_cached(
        "INSERT INTO person_events (person_id, at, kind, actor, detail) \
         VALUES (?1, ?2, 'imported', ?3, ?4)",
    )?;
    let mut find_entry = db.prepare_cached(
        "SELECT id FROM travel_entries WHERE person_id = ?1 AND origin = ?2 AND arrival_day = ?3",
    )?;
    let mut merge_entry = db.prepare_cached(
        "UPDATE travel_entries SET origin_address = COALESCE(origin_address, ?2), \
         route = COALESCE(route, ?3), departed_on = COALESCE(departed_on, ?4), \
         vaccination = COALESCE(vaccination, ?5), occupation = COALESCE(occupation, ?6), \
         updated_at = ?7 WHERE id = ?1 AND ( \
         (origin_address IS NULL AND ?2 IS NOT NULL) OR (route IS NULL AND ?3 IS NOT NULL) OR \
         (departed_on IS NULL AND ?4 IS NOT NULL) OR (vaccination IS NULL AND ?5 IS NOT NULL) OR \
         (occupation IS NULL AND ?6 IS NOT NULL))",
    )?;
    let mut insert_entry = db.prepare_cached(
        "INSERT INTO travel_entries (person_id, pocket, origin, origin_address, route, \
         departed_on, arrived_at, arrival_day, community_code, source, vaccination, occupation, \
         created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
         ?13, ?13) RETURNING id",
    )?;
    let mut insert_measure = db.prepare_cached(
        "INSERT INTO control_measures (person_id, community_code, travel_entry_id, source_ref, \
         pocket, origin, origin_address, departed_on, origin_risk, contact, vaccination, \
         occupation, policy_version, rule_id, stages, test_days, explanation_zh, explanation_en, \
         starts_on, ends_on, status, assigned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 'assigned', ?21) \
         ON CONFLICT DO NOTHING",
    )?;
    for a in arrivals {
        let p = &a.person;
        let found: Option<(i64, Option<i64>)> = find_person
            .query_row([&p.doc_blind], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let person_id = match found {
            None => {
                let id: i64 = insert_person.query_row(
                    params![
                        p.doc_kind,
                        p.doc_blind,
                        p.doc_cipher,
                        p.doc_masked,
                        p.nationality,
                        p.name,
                        p.sex,
                        p.birth_date,
                        p.phone_blind,
                        p.phone_cipher,
                        p.phone_masked,
                        p.address,
                        p.community_code,
                        p.household_id,
                        p.workplace_id,
                        p.school_id,
                        p.occupation,
                        p.tags_json,
                        p.synthetic,
                        now_ms,
                        now_ms
                    ],
                    |r| r.get(0),
                )?;
                event.execute(params![id, now_ms, actor, "{}"])?;
                out.persons_created += 1;
                id
            }
            Some((found, merged_into)) => {
                let id = merged_into.unwrap_or(found);
                let fields: CurrentFields = current.query_row([id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
                let changed = changed_fields(p, &fields);
                if !changed.is_empty() {
                    update_person.execute(named_params! {
                        "$1": id, "$2": p.name, "$3": p.address, "$4": p.community_code,
                        "$5": p.tags_json, "$6": p.phone_blind, "$7": p.phone_cipher,
                        "$8": p.phone_masked, "$9": now_ms,
                    })?;
                    let detail = serde_json::json!({ "fields": changed }).to_string();
                    event.execute(params![id, now_ms, actor, detail])?;
                    out.persons_updated += 1;
                }
                id
            }
        };
        let t = &a.travel;
        let found: Option<i64> = find_entry
            .query_row(params![person_id, t.origin, t.arrival_day], |r| r.get(0))
            .optional()?;
        let entry_id = match found {
            Some(id) => {
                let changed = merge_entry.execute(params![
                    id,
                    t.origin_address,
                    t.route,
                    t.departed_on,
                    t.vaccination,
                    t.occupation,
                    now_ms
                ])?;
                if changed > 0 {
                    out.entries_merged += 1;
                } else {
                    out.entries_unchanged += 1;
                }
                id
            }
            None => {
                out.entries_created += 1;
                insert_entry.query_row(
                    params![
                        person_id,
                        t.pocket,
                        t.origin,
                        t.origin_address,
                        t.route,
                        t.departed_on,
                        t.arrived_at,
                        t.arrival_day,
                        t.community_code,
                        t.source,
                        t.vaccination,
                        t.occupation,
                        now_ms
                    ],
                    |r| r.get(0),
                )?
            }
        };
        out.entry_ids.push(entry_id);
        if let Some(m) = &a.measure {
            let created = insert_measure.execute(params![
                person_id,
                t.community_code,
                entry_id,
                format!("travel:{entry_id}"),
                m.pocket,
                m.origin,
                m.origin_address,
                m.departed_on,
                m.origin_risk,
                m.contact,
                m.vaccination,
                m.occupation,
                m.policy_version,
                m.rule_id,
                m.stages,
                m.test_days,
                m.explanation_zh,
                m.explanation_en,
                m.starts_on,
                m.ends_on,
                now_ms
            ])?;
            out.measures_created += created as u64;
        }
    }
    Ok(out)
}
