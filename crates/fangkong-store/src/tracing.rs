//! Epidemiological investigation and tracing: venues (facilities with a place code),
//! check-ins, cases and their history, itineraries, contacts and transmission links.
//!
//! Case reads carry the scope's code range on the case's community (the person's when
//! registered); contacts and itineraries are read through their case. Check-ins are written
//! in bulk and read whole by the app's exposure index at start; nothing here scans them per
//! query.

use std::collections::HashMap;

use fangkong_domain::Scope;
use futures_util::TryStreamExt;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A venue: a facility with a place code.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Venue {
    pub id: i64,
    pub place_code: String,
    pub name: String,
    pub kind: String,
    pub subtype: String,
    pub community_code: String,
}

/// A venue to create or update from a list (kind `venue`).
#[derive(Debug, Clone)]
pub struct NewVenue<'a> {
    pub place_code: &'a str,
    pub name: &'a str,
    pub subtype: &'a str,
    pub community_code: &'a str,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A check-in to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCheckin<'a> {
    pub person_id: i64,
    pub venue_id: i64,
    pub community_code: &'a str,
    pub time_in: i64,
    pub time_out: Option<i64>,
    pub source: &'a str,
}

/// A check-in as stored (the exposure index's input), times in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckinRow {
    pub person_id: i64,
    pub venue_id: i64,
    pub time_in: i64,
    pub time_out: Option<i64>,
}

/// A person as shown on a tracing list: masked identity and home community only.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonBrief {
    pub id: i64,
    pub name: String,
    pub doc_masked: String,
    pub community_code: String,
    pub household_id: Option<i64>,
}

/// The fields of a case that change over its life.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseFields {
    pub classification: String,
    pub onset_at: Option<i64>,
    pub isolated_at: Option<i64>,
    pub admitted_at: Option<i64>,
    pub severity: Option<String>,
    pub outcome: String,
    pub outcome_at: Option<i64>,
    pub itinerary_completed_at: Option<i64>,
    pub contacts_completed_at: Option<i64>,
    pub contacts_controlled_at: Option<i64>,
}

/// A case as read, with its person's masked identity.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Case {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_doc_masked: String,
    pub community_code: String,
    pub detection: String,
    pub source_tube: Option<String>,
    pub source_alert: Option<String>,
    pub detected_at: i64,
    pub reported_at: i64,
    pub created_at: i64,
    pub created_by: String,
    #[sqlx(flatten)]
    pub fields: CaseFields,
}

/// A case to register.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub person_id: i64,
    pub community_code: &'a str,
    pub classification: &'a str,
    pub detection: &'a str,
    pub source_tube: Option<&'a str>,
    pub source_alert: Option<&'a str>,
    pub onset_at: Option<i64>,
    pub detected_at: i64,
    pub reported_at: i64,
    pub severity: Option<&'a str>,
}

/// An entry of a case's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: i64,
    pub kind: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

/// A history entry to append.
#[derive(Debug, Clone)]
pub struct NewCaseEvent {
    pub kind: &'static str,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
}

/// A person with a positive single tube (a suspected case from testing) who is not yet a
/// registered case.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingCase {
    pub person_id: i64,
    pub person_name: String,
    pub person_doc_masked: String,
    pub community_code: String,
    pub tube_code: String,
    pub flagged_at: i64,
}

/// An itinerary entry as read.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItineraryEntry {
    pub id: i64,
    pub case_id: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub venue_id: Option<i64>,
    pub venue_name: Option<String>,
    pub place_code: Option<String>,
    pub address: Option<String>,
    pub transport_kind: Option<String>,
    pub transport_no: Option<String>,
    pub carriage: Option<String>,
    pub seat: Option<String>,
    pub note: Option<String>,
}

/// An itinerary entry to store.
#[derive(Debug, Clone, Default)]
pub struct NewItineraryEntry {
    pub start_at: i64,
    pub end_at: i64,
    pub venue_id: Option<i64>,
    pub address: Option<String>,
    pub transport_kind: Option<String>,
    pub transport_no: Option<String>,
    pub carriage: Option<String>,
    pub seat: Option<String>,
    pub note: Option<String>,
}

/// A contact as read, with the person's masked identity and the measure's state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_doc_masked: String,
    pub community_code: String,
    pub degree: String,
    pub via_contact_id: Option<i64>,
    pub setting: String,
    pub venue_id: Option<i64>,
    pub venue_name: Option<String>,
    pub last_exposure_at: i64,
    pub overlap_minutes: Option<i64>,
    pub status: String,
    pub measure_id: Option<i64>,
    pub measure_status: Option<String>,
    pub controlled_at: Option<i64>,
    pub decided_at: i64,
    pub decided_by: String,
    pub note: Option<String>,
}

/// A contact decision to store (a confirmation or a dismissal).
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub case_id: i64,
    pub person_id: i64,
    pub community_code: &'a str,
    pub degree: &'a str,
    pub via_contact_id: Option<i64>,
    pub setting: &'a str,
    pub venue_id: Option<i64>,
    pub last_exposure_at: i64,
    pub overlap_minutes: Option<i64>,
    pub status: &'a str,
    pub decided_at: i64,
    pub decided_by: &'a str,
    pub note: Option<&'a str>,
}

/// A transmission link as read.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    pub infector_case_id: i64,
    pub infectee_case_id: i64,
    pub confidence: String,
    pub setting: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// A link to store.
#[derive(Debug, Clone)]
pub struct NewLink<'a> {
    pub infector_case_id: i64,
    pub infectee_case_id: i64,
    pub confidence: &'a str,
    pub setting: &'a str,
    pub note: Option<&'a str>,
    pub created_at: i64,
    pub created_by: &'a str,
}

/// Filters of case lists.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter<'a> {
    pub classification: Option<&'a str>,
    /// A jurisdiction code: only cases whose community lies in its subtree.
    pub within: Option<&'a fangkong_domain::JurisdictionCode>,
    /// Only cases reported at or after this time.
    pub reported_since: Option<i64>,
    pub limit: i64,
}

/// Access to the tracing tables.
pub struct Tracing<'a> {
    pub(crate) db: &'a Db,
}

const CASE_SELECT: &str = "SELECT c.id, c.person_id, p.name AS person_name, \
    p.doc_masked AS person_doc_masked, c.community_code, c.detection, c.source_tube, \
    c.source_alert, c.detected_at, c.reported_at, c.created_at, c.created_by, \
    c.classification, c.onset_at, c.isolated_at, c.admitted_at, c.severity, c.outcome, \
    c.outcome_at, c.itinerary_completed_at, c.contacts_completed_at, c.contacts_controlled_at \
    FROM cases c JOIN persons p ON p.id = c.person_id";

const CONTACT_SELECT: &str = "SELECT k.id, k.case_id, k.person_id, p.name AS person_name, \
    p.doc_masked AS person_doc_masked, k.community_code, k.degree, k.via_contact_id, \
    k.setting, k.venue_id, f.name AS venue_name, k.last_exposure_at, k.overlap_minutes, \
    k.status, k.measure_id, m.status AS measure_status, k.controlled_at, k.decided_at, \
    k.decided_by, k.note \
    FROM contacts k JOIN persons p ON p.id = k.person_id \
    LEFT JOIN facilities f ON f.id = k.venue_id \
    LEFT JOIN control_measures m ON m.id = k.measure_id";

const LINK_COLUMNS: &str = "id, infector_case_id, infectee_case_id, confidence, setting, \
    note, created_at, created_by";

/// Rows per multi-row statement of check-in writes. The SQLite driver looks each parameter
/// up by name, at a cost growing with the square of the parameters of a statement: at 4 000
/// rows (24 000 parameters) that was 70% of a 300 000-row import (perf); 500 rows keep the
/// statement count low without it.
const CHECKIN_CHUNK: usize = 500;

impl Tracing<'_> {
    // ---- Venues -------------------------------------------------------------------------

    /// The venues with these place codes (others are left out).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn venues_by_code(&self, codes: &[&str]) -> Result<HashMap<String, Venue>> {
        let mut out = HashMap::with_capacity(codes.len());
        for chunk in codes.chunks(5_000) {
            let sql = format!(
                "SELECT id, place_code, name, kind, subtype, community_code FROM facilities \
                 WHERE place_code IN ({})",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<Venue> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for c in chunk {
                        q = q.bind(*c);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows.into_iter().map(|v| (v.place_code.clone(), v)));
        }
        Ok(out)
    }

    /// A venue by facility id.
    ///
    /// # Errors
    /// `NotFound` when no facility with a place code has this id.
    pub async fn venue(&self, id: i64) -> Result<Venue> {
        let found: Option<Venue> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, place_code, name, kind, subtype, community_code FROM facilities \
                     WHERE id = $1 AND place_code IS NOT NULL",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Venues inside the scope whose name or place code contains `query`, by name.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn venues(&self, scope: &Scope, query: &str, limit: i64) -> Result<Vec<Venue>> {
        let (lo, hi) = scope.code_bounds();
        let pattern = format!("%{}%", query.trim());
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, place_code, name, kind, subtype, community_code FROM facilities \
                     WHERE place_code IS NOT NULL AND community_code >= $1 AND community_code < $2 \
                     AND (name LIKE $3 OR place_code LIKE $3) ORDER BY name, id LIMIT $4",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(&pattern)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Creates or updates venues by place code in one transaction: `(created, updated)`.
    /// A place code held by a facility of another kind keeps its kind; its name and
    /// position are updated.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn upsert_venues(&self, venues: &[NewVenue<'_>]) -> Result<(u64, u64)> {
        let (mut created, mut updated) = (0, 0);
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for v in venues {
                    let existing: Option<(i64, String, Option<f64>, Option<f64>)> = sqlx::query_as(
                        "SELECT id, name, lon, lat FROM facilities WHERE place_code = $1",
                    )
                    .bind(v.place_code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match existing {
                        None => {
                            sqlx::query(
                                "INSERT INTO facilities (kind, subtype, name, community_code, \
                                 place_code, capacity, lon, lat) \
                                 VALUES ('venue', $1, $2, $3, $4, 0, $5, $6)",
                            )
                            .bind(v.subtype)
                            .bind(v.name)
                            .bind(v.community_code)
                            .bind(v.place_code)
                            .bind(v.lon)
                            .bind(v.lat)
                            .execute(&mut *tx)
                            .await?;
                            created += 1;
                        }
                        Some((id, name, lon, lat)) => {
                            let lon_new = v.lon.or(lon);
                            let lat_new = v.lat.or(lat);
                            if name != v.name || lon_new != lon || lat_new != lat {
                                sqlx::query(
                                    "UPDATE facilities SET name = $2, lon = $3, lat = $4 \
                                     WHERE id = $1",
                                )
                                .bind(id)
                                .bind(v.name)
                                .bind(lon_new)
                                .bind(lat_new)
                                .execute(&mut *tx)
                                .await?;
                                updated += 1;
                            }
                        }
                    }
                }
                tx.commit().await?;
            }
        );
        Ok((created, updated))
    }

    // ---- Check-ins ----------------------------------------------------------------------

    /// Stores check-ins in one transaction; one already stored (same person, venue and time
    /// in) is left as it is. Returns the check-ins added, for the exposure index.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn insert_checkins(&self, rows: &[NewCheckin<'_>]) -> Result<Vec<CheckinRow>> {
        let mut added = Vec::new();
        // One statement is atomic by itself: a batch of one chunk (the usual upload of a
        // few scans) needs no transaction around it, and saves the writer two round trips.
        if rows.len() <= CHECKIN_CHUNK {
            if rows.is_empty() {
                return Ok(added);
            }
            let sql = checkin_insert_sql(self.db, rows.len());
            with_db!(
                self.db,
                write | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for r in rows {
                        q = q
                            .bind(r.person_id)
                            .bind(r.venue_id)
                            .bind(r.community_code)
                            .bind(r.time_in)
                            .bind(r.time_out)
                            .bind(r.source);
                    }
                    let got: Vec<CheckinRow> = q.fetch_all(pool).await?;
                    added.extend(got);
                }
            );
            return Ok(added);
        }
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for chunk in rows.chunks(CHECKIN_CHUNK) {
                    let sql = checkin_insert_sql(self.db, chunk.len());
                    let mut q = sqlx::query_as(&sql);
                    for r in chunk {
                        q = q
                            .bind(r.person_id)
                            .bind(r.venue_id)
                            .bind(r.community_code)
                            .bind(r.time_in)
                            .bind(r.time_out)
                            .bind(r.source);
                    }
                    let got: Vec<CheckinRow> = q.fetch_all(&mut *tx).await?;
                    added.extend(got);
                }
                tx.commit().await?;
            }
        );
        Ok(added)
    }

    /// Every stored check-in, for building the exposure index, passed to `each` in
    /// storage order without collecting them first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn each_checkin(&self, mut each: impl FnMut(CheckinRow)) -> Result<u64> {
        let mut n = 0;
        with_db!(
            self.db,
            read | pool | {
                let mut rows = sqlx::query_as::<_, CheckinRow>(
                    "SELECT person_id, venue_id, time_in, time_out FROM checkins",
                )
                .fetch(pool);
                while let Some(row) = rows.try_next().await? {
                    each(row);
                    n += 1;
                }
            }
        );
        Ok(n)
    }

    /// A person's check-ins with a time in inside `[from, to)`, in time order, with their
    /// venue (the start of a case's itinerary).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn person_checkins(
        &self,
        person_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<CheckinRow>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT person_id, venue_id, time_in, time_out FROM checkins \
                     WHERE person_id = $1 AND time_in >= $2 AND time_in < $3 \
                     ORDER BY time_in, venue_id",
                )
                .bind(person_id)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The number of stored check-ins.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_checkins(&self) -> Result<i64> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar("SELECT COUNT(*) FROM checkins")
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    // ---- Persons ------------------------------------------------------------------------

    /// Persons by id with their masked identity and home community, whatever their
    /// jurisdiction: exposure candidates and contacts cross county lines, and the
    /// investigator needs to tell them apart (a full record still needs the person's scope).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn briefs(&self, ids: &[i64]) -> Result<HashMap<i64, PersonBrief>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(5_000) {
            let sql = format!(
                "SELECT id, name, doc_masked, community_code, household_id FROM persons \
                 WHERE id IN ({})",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<PersonBrief> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows.into_iter().map(|p| (p.id, p)));
        }
        Ok(out)
    }

    /// The other members of a household.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn household_members(
        &self,
        household_id: i64,
        except: i64,
    ) -> Result<Vec<PersonBrief>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, name, doc_masked, community_code, household_id FROM persons \
                     WHERE household_id = $1 AND id <> $2 AND merged_into IS NULL ORDER BY id",
                )
                .bind(household_id)
                .bind(except)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Persons by blind index of their document (live records; a merged one resolves to its
    /// survivor): blind → person id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn persons_by_blind(&self, blinds: &[Vec<u8>]) -> Result<HashMap<Vec<u8>, i64>> {
        let mut out = HashMap::with_capacity(blinds.len());
        for chunk in blinds.chunks(5_000) {
            let sql = format!(
                "SELECT doc_blind, COALESCE(merged_into, id) FROM persons WHERE doc_blind IN ({})",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<(Vec<u8>, i64)> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for b in chunk {
                        q = q.bind(b.as_slice());
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        Ok(out)
    }

    // ---- Cases --------------------------------------------------------------------------

    /// Registers a case with its first history entry. Returns its id.
    ///
    /// # Errors
    /// `Conflict` when the person is a case already; `Unavailable` on database failure.
    pub async fn create_case(&self, c: &NewCase<'_>, actor: &str, now_ms: i64) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cases (person_id, community_code, classification, detection, \
                     source_tube, source_alert, onset_at, detected_at, reported_at, severity, \
                     created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(c.person_id)
                .bind(c.community_code)
                .bind(c.classification)
                .bind(c.detection)
                .bind(c.source_tube)
                .bind(c.source_alert)
                .bind(c.onset_at)
                .bind(c.detected_at)
                .bind(c.reported_at)
                .bind(c.severity)
                .bind(now_ms)
                .bind(actor)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO case_events (case_id, at, kind, to_value, actor) \
                     VALUES ($1, $2, 'registered', $3, $4)",
                )
                .bind(id)
                .bind(now_ms)
                .bind(c.classification)
                .bind(actor)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                id
            }
        ))
    }

    /// A case inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such case or it lies outside the scope.
    pub async fn case(&self, scope: &Scope, id: i64) -> Result<Case> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{CASE_SELECT} WHERE c.id = $1 AND c.community_code >= $2 AND c.community_code < $3"
        );
        let found: Option<Case> = with_db!(
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

    /// The case of a person, if any, whatever the scope (to refuse a second registration
    /// and to find infector cases of contacts).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn case_of_person(&self, person_id: i64) -> Result<Option<i64>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar("SELECT id FROM cases WHERE person_id = $1")
                    .bind(person_id)
                    .fetch_optional(pool)
                    .await?
            }
        ))
    }

    /// Cases inside the scope, latest report first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn cases(&self, scope: &Scope, f: &CaseFilter<'_>) -> Result<Vec<Case>> {
        let (mut lo, mut hi) = scope.code_bounds();
        if let Some(within) = f.within {
            let (wlo, whi) = within.subtree_bounds();
            lo = lo.max(wlo);
            hi = hi.min(whi);
        }
        let sql = format!(
            "{CASE_SELECT} WHERE c.community_code >= $1 AND c.community_code < $2 \
             AND ($3 IS NULL OR c.classification = $3) AND c.reported_at >= $4 \
             ORDER BY c.reported_at DESC, c.id DESC LIMIT $5"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(f.classification)
                    .bind(f.reported_since.unwrap_or(i64::MIN))
                    .bind(f.limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Saves a case's changing fields and appends its history entries, in one transaction.
    ///
    /// # Errors
    /// `NotFound` when the case does not exist; `Unavailable` on database failure.
    pub async fn save_case(
        &self,
        id: i64,
        f: &CaseFields,
        events: &[NewCaseEvent],
        actor: &str,
        now_ms: i64,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE cases SET classification = $2, onset_at = $3, isolated_at = $4, \
                     admitted_at = $5, severity = $6, outcome = $7, outcome_at = $8, \
                     itinerary_completed_at = $9, contacts_completed_at = $10, \
                     contacts_controlled_at = $11 WHERE id = $1",
                )
                .bind(id)
                .bind(&f.classification)
                .bind(f.onset_at)
                .bind(f.isolated_at)
                .bind(f.admitted_at)
                .bind(&f.severity)
                .bind(&f.outcome)
                .bind(f.outcome_at)
                .bind(f.itinerary_completed_at)
                .bind(f.contacts_completed_at)
                .bind(f.contacts_controlled_at)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                for e in events {
                    sqlx::query(
                        "INSERT INTO case_events (case_id, at, kind, from_value, to_value, \
                         note, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(now_ms)
                    .bind(e.kind)
                    .bind(&e.from_value)
                    .bind(&e.to_value)
                    .bind(&e.note)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// The onset (if known) and report times of every case inside the scope that is not
    /// excluded, for the epidemic curve and Rt. No personal data.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn case_times(&self, scope: &Scope) -> Result<Vec<(Option<i64>, i64)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT onset_at, reported_at FROM cases WHERE classification <> 'excluded' \
                     AND community_code >= $1 AND community_code < $2",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// A case's history, oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, case_id, at, kind, from_value, to_value, note, actor \
                     FROM case_events WHERE case_id = $1 ORDER BY id",
                )
                .bind(case_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Suspected cases from testing (a positive single tube) inside the scope whose person
    /// is not a registered case yet, latest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn pending_from_testing(
        &self,
        scope: &Scope,
        limit: i64,
    ) -> Result<Vec<PendingCase>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT s.person_id, p.name AS person_name, p.doc_masked AS person_doc_masked, \
                     s.community_code, t.code AS tube_code, s.created_at AS flagged_at \
                     FROM suspected_cases s JOIN persons p ON p.id = s.person_id \
                     JOIN tubes t ON t.id = s.tube_id \
                     WHERE s.community_code >= $1 AND s.community_code < $2 \
                     AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = s.person_id) \
                     ORDER BY s.created_at DESC, s.id DESC LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    // ---- Itineraries --------------------------------------------------------------------

    /// Adds entries to a case's itinerary in one transaction; returns their ids.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn add_itinerary(
        &self,
        case_id: i64,
        entries: &[NewItineraryEntry],
        actor: &str,
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(entries.len());
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for e in entries {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO itinerary_entries (case_id, start_at, end_at, venue_id, \
                         address, transport_kind, transport_no, carriage, seat, note, \
                         created_at, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    )
                    .bind(case_id)
                    .bind(e.start_at)
                    .bind(e.end_at)
                    .bind(e.venue_id)
                    .bind(&e.address)
                    .bind(&e.transport_kind)
                    .bind(&e.transport_no)
                    .bind(&e.carriage)
                    .bind(&e.seat)
                    .bind(&e.note)
                    .bind(now_ms)
                    .bind(actor)
                    .fetch_one(&mut *tx)
                    .await?;
                    ids.push(id);
                }
                tx.commit().await?;
            }
        );
        Ok(ids)
    }

    /// A case's itinerary in time order.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn itinerary(&self, case_id: i64) -> Result<Vec<ItineraryEntry>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT e.id, e.case_id, e.start_at, e.end_at, e.venue_id, \
                     f.name AS venue_name, f.place_code, e.address, e.transport_kind, \
                     e.transport_no, e.carriage, e.seat, e.note \
                     FROM itinerary_entries e LEFT JOIN facilities f ON f.id = e.venue_id \
                     WHERE e.case_id = $1 ORDER BY e.start_at, e.id",
                )
                .bind(case_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Removes an entry of a case's itinerary.
    ///
    /// # Errors
    /// `NotFound` when the case has no such entry.
    pub async fn remove_itinerary_entry(&self, case_id: i64, entry_id: i64) -> Result<()> {
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query("DELETE FROM itinerary_entries WHERE id = $1 AND case_id = $2")
                    .bind(entry_id)
                    .bind(case_id)
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

    // ---- Contacts -----------------------------------------------------------------------

    /// Stores a decision on a contact of a case (one row per case and person: a later
    /// decision replaces an earlier one). Returns the contact's id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn save_contact(&self, c: &NewContact<'_>) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO contacts (case_id, person_id, community_code, degree, \
                     via_contact_id, setting, venue_id, last_exposure_at, overlap_minutes, \
                     status, decided_at, decided_by, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (case_id, person_id) DO UPDATE SET degree = excluded.degree, \
                     via_contact_id = excluded.via_contact_id, setting = excluded.setting, \
                     venue_id = excluded.venue_id, last_exposure_at = excluded.last_exposure_at, \
                     overlap_minutes = excluded.overlap_minutes, status = excluded.status, \
                     decided_at = excluded.decided_at, decided_by = excluded.decided_by, \
                     note = excluded.note RETURNING id",
                )
                .bind(c.case_id)
                .bind(c.person_id)
                .bind(c.community_code)
                .bind(c.degree)
                .bind(c.via_contact_id)
                .bind(c.setting)
                .bind(c.venue_id)
                .bind(c.last_exposure_at)
                .bind(c.overlap_minutes)
                .bind(c.status)
                .bind(c.decided_at)
                .bind(c.decided_by)
                .bind(c.note)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Records the control measure of a contact and when the contact came under control.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn set_contact_measure(
        &self,
        contact_id: i64,
        measure_id: i64,
        controlled_at: i64,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE contacts SET measure_id = $2, controlled_at = $3 WHERE id = $1",
                )
                .bind(contact_id)
                .bind(measure_id)
                .bind(controlled_at)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }

    /// The contacts of a case: confirmed first (close, then secondary), then dismissed.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn contacts(&self, case_id: i64) -> Result<Vec<Contact>> {
        let sql = format!(
            "{CONTACT_SELECT} WHERE k.case_id = $1 \
             ORDER BY k.status, k.degree, k.last_exposure_at DESC, k.id"
        );
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await? }
        ))
    }

    /// One contact of a case.
    ///
    /// # Errors
    /// `NotFound` when the case has no such contact.
    pub async fn contact(&self, case_id: i64, contact_id: i64) -> Result<Contact> {
        let sql = format!("{CONTACT_SELECT} WHERE k.case_id = $1 AND k.id = $2");
        let found: Option<Contact> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(case_id)
                    .bind(contact_id)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    // ---- Transmission links -------------------------------------------------------------

    /// Stores a link; an infectee's earlier link is replaced. Returns the link's id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn save_link(&self, l: &NewLink<'_>) -> Result<i64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_scalar(
                    "INSERT INTO transmission_links (infector_case_id, infectee_case_id, \
                     confidence, setting, note, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (infectee_case_id) DO UPDATE SET \
                     infector_case_id = excluded.infector_case_id, \
                     confidence = excluded.confidence, setting = excluded.setting, \
                     note = excluded.note, created_at = excluded.created_at, \
                     created_by = excluded.created_by RETURNING id",
                )
                .bind(l.infector_case_id)
                .bind(l.infectee_case_id)
                .bind(l.confidence)
                .bind(l.setting)
                .bind(l.note)
                .bind(l.created_at)
                .bind(l.created_by)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Removes a link.
    ///
    /// # Errors
    /// `NotFound` when there is no such link.
    pub async fn remove_link(&self, id: i64) -> Result<Link> {
        let sql = format!("DELETE FROM transmission_links WHERE id = $1 RETURNING {LINK_COLUMNS}");
        let found: Option<Link> = with_db!(
            self.db,
            write | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// The links naming a case as infector or infectee, in id order.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn links_of_case(&self, case_id: i64) -> Result<Vec<Link>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM transmission_links \
             WHERE infector_case_id = $1 OR infectee_case_id = $1 ORDER BY id"
        );
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await? }
        ))
    }

    /// Every link, in id order (chains are analysed whole and then cut to the scope).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn links(&self) -> Result<Vec<Link>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM transmission_links ORDER BY id");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }
}

/// The INSERT of `n` check-ins (6 binds each), duplicates skipped, the new rows returned.
fn checkin_insert_sql(db: &Db, n: usize) -> String {
    format!(
        "INSERT INTO checkins (person_id, venue_id, community_code, time_in, \
         time_out, source) VALUES {} \
         ON CONFLICT (person_id, venue_id, time_in) DO NOTHING \
         RETURNING person_id, venue_id, time_in, time_out",
        db.values_clause(n, 6)
    )
}
