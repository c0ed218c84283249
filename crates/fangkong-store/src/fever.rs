//! Fever-clinic visits (the fourth of the four pockets): who came to which clinic when, with
//! which temperature and symptoms, the sample (a tube of the testing tables, or a result
//! recorded directly) and the disposition.
//!
//! A visit's result is read, never copied: the linked tube's latest result in
//! `tube_results` when there is one, else the one recorded on the visit. So a lab result
//! ingested through testing closes the visit's loop without a second entry. Every read
//! carries the scope's code range on the clinic's community.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A visit as read, with its effective result.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Visit {
    pub id: i64,
    pub clinic_id: i64,
    pub clinic_name: String,
    /// The clinic's community.
    pub community_code: String,
    pub person_id: i64,
    pub person_name: String,
    /// The person's document number, masked.
    pub person_doc_masked: String,
    pub visit_at: i64,
    pub temperature: f64,
    /// Symptom keys, comma-separated.
    pub symptoms: String,
    pub epi_history: bool,
    pub tube_code: Option<String>,
    /// The direct result, as recorded on the visit.
    pub direct_outcome: Option<String>,
    pub direct_at: Option<i64>,
    pub direct_lab: Option<String>,
    pub direct_by: Option<String>,
    /// The linked tube's latest result (by test time), if any.
    pub tube_outcome: Option<String>,
    /// When that result was reported.
    pub tube_reported_at: Option<i64>,
    pub tube_lab: Option<String>,
    pub disposition: Option<String>,
    pub disposition_at: Option<i64>,
    pub disposition_by: Option<String>,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// Where a visit's result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSource {
    /// The linked tube's latest result in the testing tables.
    Tube,
    /// Recorded on the visit.
    Direct,
}

/// A visit's effective result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveResult<'a> {
    pub outcome: &'a str,
    pub at: i64,
    pub lab: Option<&'a str>,
    pub source: ResultSource,
}

impl Visit {
    /// The result that counts: the tube's when there is one, else the direct one.
    pub fn result(&self) -> Option<EffectiveResult<'_>> {
        if let (Some(outcome), Some(at)) = (&self.tube_outcome, self.tube_reported_at) {
            return Some(EffectiveResult {
                outcome,
                at,
                lab: self.tube_lab.as_deref(),
                source: ResultSource::Tube,
            });
        }
        match (&self.direct_outcome, self.direct_at) {
            (Some(outcome), Some(at)) => Some(EffectiveResult {
                outcome,
                at,
                lab: self.direct_lab.as_deref(),
                source: ResultSource::Direct,
            }),
            _ => None,
        }
    }

    /// The symptom keys.
    pub fn symptom_keys(&self) -> Vec<&str> {
        self.symptoms.split(',').filter(|s| !s.is_empty()).collect()
    }
}

/// A visit to store.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    pub clinic_id: i64,
    pub community_code: &'a str,
    pub person_id: i64,
    pub visit_at: i64,
    pub temperature: f64,
    pub symptoms: &'a str,
    pub epi_history: bool,
    pub tube_code: Option<&'a str>,
    /// A result recorded directly: outcome, time, lab.
    pub result: Option<(&'a str, i64, &'a str)>,
    pub recorded_at: i64,
    pub recorded_by: &'a str,
}

/// Whether storing a visit added it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStored {
    Created(i64),
    /// A visit of the same person at the same clinic and time was stored; this is its id.
    Existing(i64),
}

impl VisitStored {
    /// The visit's id.
    pub fn id(self) -> i64 {
        match self {
            VisitStored::Created(id) | VisitStored::Existing(id) => id,
        }
    }
}

/// A fever clinic: a facility that may receive visits.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Clinic {
    pub id: i64,
    pub name: String,
    pub community_code: String,
}

/// Filters of visit lists.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter<'a> {
    pub clinic_id: Option<i64>,
    /// A jurisdiction code (a county, usually): only clinics in its subtree.
    pub within: Option<&'a fangkong_domain::JurisdictionCode>,
    /// Only visits still open: no disposition, no result, or a positive result.
    pub open_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Access to the fever-clinic tables.
pub struct Fever<'a> {
    pub(crate) db: &'a Db,
}

/// The facility kinds and subtypes that are fever clinics.
const CLINIC_CONDITION: &str =
    "(f.kind = 'fever_clinic' OR (f.kind = 'sentinel' AND f.subtype = 'fever_clinic'))";

const SELECT: &str = "SELECT v.id, v.clinic_id, f.name AS clinic_name, v.community_code, \
    v.person_id, p.name AS person_name, p.doc_masked AS person_doc_masked, v.visit_at, \
    v.temperature, v.symptoms, v.epi_history, v.tube_code, v.result_outcome AS direct_outcome, \
    v.result_at AS direct_at, v.result_lab AS direct_lab, v.result_by AS direct_by, \
    r.outcome AS tube_outcome, r.reported_at AS tube_reported_at, r.lab_code AS tube_lab, \
    v.disposition, v.disposition_at, v.disposition_by, v.recorded_at, v.recorded_by \
    FROM fever_visits v \
    JOIN facilities f ON f.id = v.clinic_id \
    JOIN persons p ON p.id = v.person_id \
    LEFT JOIN tubes t ON t.code = v.tube_code \
    LEFT JOIN tube_results r ON r.id = (SELECT r2.id FROM tube_results r2 \
        WHERE r2.tube_id = t.id ORDER BY r2.tested_at DESC, r2.id DESC LIMIT 1)";

impl Fever<'_> {
    /// A fever clinic by facility id, if inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such clinic or it lies outside the scope; `Unavailable` on
    /// database failure.
    pub async fn clinic(&self, scope: &Scope, id: i64) -> Result<Clinic> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT f.id, f.name, f.community_code FROM facilities f WHERE f.id = $1 \
             AND {CLINIC_CONDITION} AND f.community_code >= $2 AND f.community_code < $3"
        );
        let found: Option<Clinic> = with_db!(
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

    /// The fever clinics inside the scope, by name.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn clinics(&self, scope: &Scope) -> Result<Vec<Clinic>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT f.id, f.name, f.community_code FROM facilities f WHERE {CLINIC_CONDITION} \
             AND f.community_code >= $1 AND f.community_code < $2 ORDER BY f.community_code, f.id"
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

    /// The registered person holding the document of this blind index (a merged record
    /// resolves to its survivor), across the whole registry: a patient may come from
    /// anywhere. Only the id is returned.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn person_by_blind(&self, blind: &[u8]) -> Result<Option<i64>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT COALESCE(merged_into, id) FROM persons WHERE doc_blind = $1 \
                     ORDER BY id LIMIT 1",
                )
                .bind(blind)
                .fetch_optional(pool)
                .await?
            }
        ))
    }

    /// Stores visits in one transaction (all or none). A visit of the same person at the
    /// same clinic and time is left as it is.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn add_visits(&self, visits: &[NewVisit<'_>]) -> Result<Vec<VisitStored>> {
        let mut out = Vec::with_capacity(visits.len());
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for v in visits {
                    let (outcome, at, lab) = match v.result {
                        Some((o, at, lab)) => (Some(o), Some(at), Some(lab)),
                        None => (None, None, None),
                    };
                    let created: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO fever_visits (clinic_id, community_code, person_id, visit_at, \
                         temperature, symptoms, epi_history, tube_code, result_outcome, result_at, \
                         result_lab, result_by, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, \
                         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                         ON CONFLICT (clinic_id, person_id, visit_at) DO NOTHING RETURNING id",
                    )
                    .bind(v.clinic_id)
                    .bind(v.community_code)
                    .bind(v.person_id)
                    .bind(v.visit_at)
                    .bind(v.temperature)
                    .bind(v.symptoms)
                    .bind(v.epi_history)
                    .bind(v.tube_code)
                    .bind(outcome)
                    .bind(at)
                    .bind(lab)
                    .bind(outcome.map(|_| v.recorded_by))
                    .bind(v.recorded_at)
                    .bind(v.recorded_by)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match created {
                        Some(id) => out.push(VisitStored::Created(id)),
                        None => {
                            let id: i64 = sqlx::query_scalar(
                                "SELECT id FROM fever_visits WHERE clinic_id = $1 \
                                 AND person_id = $2 AND visit_at = $3",
                            )
                            .bind(v.clinic_id)
                            .bind(v.person_id)
                            .bind(v.visit_at)
                            .fetch_one(&mut *tx)
                            .await?;
                            out.push(VisitStored::Existing(id));
                        }
                    }
                }
                tx.commit().await?;
            }
        );
        Ok(out)
    }

    /// One visit, if its clinic lies inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn visit(&self, scope: &Scope, id: i64) -> Result<Visit> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{SELECT} WHERE v.id = $1 AND v.community_code >= $2 AND v.community_code < $3"
        );
        let found: Option<Visit> = with_db!(
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

    /// Visits inside the scope and the filter, newest first.
    ///
    /// With `open_only`, only visits that may still be open: without a disposition, without
    /// a result, or with a positive result (the caller decides which are overdue).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn visits(&self, scope: &Scope, filter: &VisitFilter<'_>) -> Result<Vec<Visit>> {
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(filter.within);
        let open = if filter.open_only {
            "AND (v.disposition IS NULL OR (r.id IS NULL AND v.result_outcome IS NULL) \
             OR COALESCE(r.outcome, v.result_outcome) = 'positive')"
        } else {
            ""
        };
        let sql = format!(
            "{SELECT} WHERE v.community_code >= $1 AND v.community_code < $2 \
             AND v.community_code >= $3 AND v.community_code < $4 \
             AND ($5 IS NULL OR v.clinic_id = $5) {open} \
             ORDER BY v.visit_at DESC, v.id DESC LIMIT $6 OFFSET $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(filter.clinic_id)
                    .bind(filter.limit)
                    .bind(filter.offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Records a direct result on a visit inside the scope (replacing an earlier direct
    /// one; a linked tube's result still takes precedence when read).
    ///
    /// # Errors
    /// `NotFound` when the visit is absent or outside the scope; `Unavailable` on database
    /// failure.
    pub async fn set_result(
        &self,
        scope: &Scope,
        id: i64,
        outcome: &str,
        at: i64,
        lab: &str,
        by: &str,
    ) -> Result<()> {
        let (lo, hi) = scope.code_bounds();
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE fever_visits SET result_outcome = $1, result_at = $2, result_lab = $3, \
                     result_by = $4 WHERE id = $5 AND community_code >= $6 AND community_code < $7",
                )
                .bind(outcome)
                .bind(at)
                .bind(lab)
                .bind(by)
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records the disposition of a visit inside the scope (replacing an earlier one).
    ///
    /// # Errors
    /// `NotFound` when the visit is absent or outside the scope; `Unavailable` on database
    /// failure.
    pub async fn set_disposition(
        &self,
        scope: &Scope,
        id: i64,
        disposition: &str,
        at: i64,
        by: &str,
    ) -> Result<()> {
        let (lo, hi) = scope.code_bounds();
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE fever_visits SET disposition = $1, disposition_at = $2, \
                     disposition_by = $3 WHERE id = $4 AND community_code >= $5 \
                     AND community_code < $6",
                )
                .bind(disposition)
                .bind(at)
                .bind(by)
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
