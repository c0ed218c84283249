//! Isolation: quarantine sites (facilities of kind `quarantine_site`), their rooms and the
//! stays of the people placed in them.
//!
//! Stays are scoped by the site's community (a site's staff run it). A room's occupancy is a
//! counter moved in the same transaction as the stay, by a conditional UPDATE that matches no
//! row when the room is full, out of service, being cleaned or held by another household;
//! the schema's CHECK makes an over-full room impossible whatever the code path.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::treatment::admit;
use crate::{Result, StoreError};

/// Gives a room's bed back inside a transaction `$tx`: one occupant fewer, the household
/// released with the last one, `vacated_at` set when someone had checked in.
macro_rules! free_bed {
    ($tx:ident, $room:expr, $vacated:expr) => {
        sqlx::query(
            "UPDATE rooms SET occupants = occupants - 1, \
             household_key = CASE WHEN occupants = 1 THEN NULL ELSE household_key END, \
             vacated_at = COALESCE($2, vacated_at) WHERE id = $1",
        )
        .bind($room)
        .bind($vacated)
        .execute(&mut *$tx)
        .await?
    };
}

/// Milliseconds in an hour, for the turnaround rule.
const HOUR_MS: i64 = 3_600_000;

/// A quarantine site with its room counts at a moment.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub subtype: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub turnaround_hours: i64,
    pub rooms: i64,
    pub beds: i64,
    /// Rooms holding someone (placed or checked in).
    pub occupied: i64,
    /// People placed or checked in.
    pub occupants: i64,
    /// Empty rooms within the turnaround after their last check-out.
    pub cleaning: i64,
    /// Empty rooms taken out of service.
    pub out_of_service: i64,
}

impl SiteRow {
    /// Rooms ready for a placement.
    pub fn free(&self) -> i64 {
        self.rooms - self.occupied - self.cleaning - self.out_of_service
    }
}

/// A room with its occupancy.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub facility_id: i64,
    pub number: String,
    pub beds: i64,
    pub accessible: bool,
    pub occupants: i64,
    pub household_key: Option<i64>,
    pub vacated_at: Option<i64>,
    pub out_of_service_reason: Option<String>,
    pub turnaround_hours: i64,
}

impl RoomRow {
    /// When a vacated room is usable again.
    pub fn clean_at(&self) -> Option<i64> {
        self.vacated_at.map(|v| v + self.turnaround_hours * HOUR_MS)
    }
}

/// A person waiting for a room: an open measure with a centralised-quarantine stage and no
/// stay yet (a cancelled placement puts the person back), of a person not staying at a site
/// already.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QueueRow {
    pub measure_id: i64,
    pub person_id: i64,
    pub name: String,
    pub doc_masked: String,
    pub birth_date: String,
    pub household_id: Option<i64>,
    pub tags: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub pocket: String,
    pub stages: String,
    pub test_days: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    pub assigned_at: i64,
}

/// A stay to create.
#[derive(Debug, Clone)]
pub struct NewStay<'a> {
    pub person_id: i64,
    pub measure_id: i64,
    pub room_id: i64,
    pub household_key: i64,
    pub planned_release_on: &'a str,
    pub explanation: &'a str,
    pub overridden: bool,
}

/// A stay as stored, with the person's masked identity and the site and room.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Stay {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub doc_masked: String,
    pub birth_date: String,
    pub measure_id: i64,
    pub facility_id: i64,
    pub site_name: String,
    pub room_id: i64,
    pub room_number: String,
    pub community_code: String,
    pub household_key: i64,
    pub status: String,
    pub planned_release_on: String,
    pub placed_at: i64,
    pub placed_by: String,
    pub explanation: String,
    pub overridden: bool,
    pub checked_in_at: Option<i64>,
    pub checked_out_at: Option<i64>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub certificate_no: Option<String>,
}

const STAY_SELECT: &str = "SELECT s.id, s.person_id, p.name AS person_name, p.doc_masked, \
     p.birth_date, s.measure_id, s.facility_id, f.name AS site_name, s.room_id, \
     r.number AS room_number, s.community_code, s.household_key, s.status, \
     s.planned_release_on, s.placed_at, s.placed_by, s.explanation, s.overridden, \
     s.checked_in_at, s.checked_out_at, s.outcome, s.outcome_note, s.certificate_no \
     FROM isolation_stays s JOIN persons p ON p.id = s.person_id \
     JOIN facilities f ON f.id = s.facility_id JOIN rooms r ON r.id = s.room_id";

/// Which stays to list.
#[derive(Debug, Clone, Default)]
pub struct StayFilter {
    pub site: Option<i64>,
    /// Placed or checked in only.
    pub open_only: bool,
    pub limit: i64,
}

/// A hospital admission opened by an early transfer from a site.
#[derive(Debug, Clone)]
pub struct TransferToHospital<'a> {
    pub hospital_id: i64,
    pub bed_type: &'a str,
    pub severity: &'a str,
    pub case_id: Option<i64>,
    pub note: &'a str,
}

/// A quarantine site to set up, with its rooms (number, beds, accessible).
#[derive(Debug, Clone)]
pub struct NewSite<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub community_code: &'a str,
    pub lon: f64,
    pub lat: f64,
    pub turnaround_hours: i64,
    pub rooms: &'a [(String, i64, bool)],
}

/// Access to quarantine sites, rooms and stays.
pub struct Isolation<'a> {
    pub(crate) db: &'a Db,
}

fn site_sql(filter: &str) -> String {
    format!(
        "SELECT f.id, f.name, f.subtype, f.community_code, f.lon, f.lat, f.turnaround_hours, \
         COUNT(r.id) AS rooms, CAST(COALESCE(SUM(r.beds), 0) AS BIGINT) AS beds, \
         CAST(COALESCE(SUM(CASE WHEN r.occupants > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS occupied, \
         CAST(COALESCE(SUM(r.occupants), 0) AS BIGINT) AS occupants, \
         CAST(COALESCE(SUM(CASE WHEN r.occupants = 0 AND r.out_of_service_reason IS NULL \
             AND r.vacated_at IS NOT NULL AND r.vacated_at + f.turnaround_hours * {HOUR_MS} > $1 \
             THEN 1 ELSE 0 END), 0) AS BIGINT) AS cleaning, \
         CAST(COALESCE(SUM(CASE WHEN r.occupants = 0 AND r.out_of_service_reason IS NOT NULL \
             THEN 1 ELSE 0 END), 0) AS BIGINT) AS out_of_service \
         FROM facilities f LEFT JOIN rooms r ON r.facility_id = f.id \
         WHERE f.kind = 'quarantine_site' AND f.community_code >= $2 AND f.community_code < $3 \
         {filter} \
         GROUP BY f.id, f.name, f.subtype, f.community_code, f.lon, f.lat, f.turnaround_hours \
         ORDER BY f.community_code, f.name, f.id"
    )
}

const ROOM_SELECT: &str = "SELECT r.id, r.facility_id, r.number, r.beds, r.accessible, \
     r.occupants, r.household_key, r.vacated_at, r.out_of_service_reason, f.turnaround_hours \
     FROM rooms r JOIN facilities f ON f.id = r.facility_id";

impl Isolation<'_> {
    /// The quarantine sites inside the scope with their room counts at `now_ms`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn sites(&self, scope: &Scope, now_ms: i64) -> Result<Vec<SiteRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = site_sql("");
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(now_ms)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Sets up a quarantine site with its rooms, all or nothing. Returns the site's id.
    ///
    /// # Errors
    /// `Conflict` for a room number given twice.
    pub async fn create_site(&self, s: &NewSite<'_>) -> Result<i64> {
        let beds: i64 = s.rooms.iter().map(|r| r.1).sum();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO facilities (kind, subtype, name, community_code, capacity, lon, \
                     lat, turnaround_hours) VALUES ('quarantine_site', $1, $2, $3, $4, $5, $6, $7) \
                     RETURNING id",
                )
                .bind(s.kind)
                .bind(s.name)
                .bind(s.community_code)
                .bind(beds)
                .bind(s.lon)
                .bind(s.lat)
                .bind(s.turnaround_hours)
                .fetch_one(&mut *tx)
                .await?;
                for (number, beds, accessible) in s.rooms {
                    sqlx::query(
                        "INSERT INTO rooms (facility_id, number, beds, accessible) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(number)
                    .bind(beds)
                    .bind(accessible)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(id)
            }
        )
    }

    /// One quarantine site inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such site in the scope.
    pub async fn site(&self, scope: &Scope, id: i64, now_ms: i64) -> Result<SiteRow> {
        let (lo, hi) = scope.code_bounds();
        let sql = site_sql("AND f.id = $4");
        let found: Option<SiteRow> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(now_ms)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// The rooms of a site, by number.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn rooms(&self, site_id: i64) -> Result<Vec<RoomRow>> {
        let sql = format!("{ROOM_SELECT} WHERE r.facility_id = $1 ORDER BY r.number, r.id");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(site_id).fetch_all(pool).await? }
        ))
    }

    /// One room (with its site's turnaround).
    ///
    /// # Errors
    /// `NotFound` for an unknown room.
    pub async fn room(&self, room_id: i64) -> Result<RoomRow> {
        let sql = format!("{ROOM_SELECT} WHERE r.id = $1");
        let found: Option<RoomRow> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(room_id)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// The rooms ready for a placement at `now_ms` (empty, in service, cleaned) of the sites
    /// inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn free_rooms(&self, scope: &Scope, now_ms: i64) -> Result<Vec<RoomRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ROOM_SELECT} WHERE f.kind = 'quarantine_site' AND f.community_code >= $1 \
             AND f.community_code < $2 AND r.occupants = 0 AND r.out_of_service_reason IS NULL \
             AND (r.vacated_at IS NULL OR r.vacated_at + f.turnaround_hours * {HOUR_MS} <= $3) \
             ORDER BY r.facility_id, r.id"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(now_ms)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Takes an empty room out of service with the reason, or back into service (`None`).
    ///
    /// # Errors
    /// `Conflict` when taking an occupied room out of service; `NotFound` for an unknown room.
    pub async fn set_out_of_service(&self, room_id: i64, reason: Option<&str>) -> Result<()> {
        let changed = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE rooms SET out_of_service_reason = $2 \
                     WHERE id = $1 AND ($2 IS NULL OR occupants = 0)",
                )
                .bind(room_id)
                .bind(reason)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if changed == 0 {
            self.room(room_id).await?;
            return Err(StoreError::Conflict {
                constraint: format!("room {room_id} is occupied"),
            });
        }
        Ok(())
    }

    /// Sets a site's turnaround (cleaning hours after a check-out).
    ///
    /// # Errors
    /// `NotFound` for an unknown site.
    pub async fn set_turnaround(&self, site_id: i64, hours: i64) -> Result<()> {
        let changed = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE facilities SET turnaround_hours = $2 \
                     WHERE id = $1 AND kind = 'quarantine_site'",
                )
                .bind(site_id)
                .bind(hours)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The placement queue inside the scope (the measure's community), oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn queue(&self, scope: &Scope, limit: i64) -> Result<Vec<QueueRow>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT m.id AS measure_id, m.person_id, p.name, p.doc_masked, p.birth_date, \
                     p.household_id, p.tags, m.community_code, j.lon, j.lat, m.pocket, m.stages, \
                     m.test_days, m.starts_on, m.ends_on, m.status, m.assigned_at \
                     FROM control_measures m JOIN persons p ON p.id = m.person_id \
                     JOIN jurisdictions j ON j.code = m.community_code \
                     WHERE m.status IN ('assigned', 'active') \
                     AND m.stages LIKE '%centralised_quarantine%' \
                     AND m.community_code >= $1 AND m.community_code < $2 \
                     AND NOT EXISTS (SELECT 1 FROM isolation_stays s WHERE s.measure_id = m.id \
                         AND (s.outcome IS NULL OR s.outcome <> 'cancelled')) \
                     AND NOT EXISTS (SELECT 1 FROM isolation_stays s WHERE \
                         s.person_id = m.person_id AND s.status <> 'out') \
                     ORDER BY m.assigned_at, m.id LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Places people into rooms, all or nothing: each stay takes a bed of its room (refused
    /// when the room is full, held by another household, out of service or being cleaned,
    /// or when the person already has an open stay). Returns the new stays' ids in order.
    ///
    /// # Errors
    /// `Conflict` naming the first stay refused and why; nothing is stored then.
    pub async fn place(&self, stays: &[NewStay<'_>], by: &str, now_ms: i64) -> Result<Vec<i64>> {
        let take = format!(
            "UPDATE rooms SET occupants = occupants + 1, household_key = $2 \
             WHERE id = $1 AND out_of_service_reason IS NULL AND occupants < beds \
             AND ((occupants > 0 AND household_key = $2) OR (occupants = 0 AND \
                 (vacated_at IS NULL OR vacated_at + (SELECT turnaround_hours FROM facilities \
                  WHERE facilities.id = rooms.facility_id) * {HOUR_MS} <= $3)))"
        );
        let mut ids = Vec::with_capacity(stays.len());
        let refused: Option<(usize, i64)> = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let mut refused = None;
                for (i, s) in stays.iter().enumerate() {
                    let took = sqlx::query(&take)
                        .bind(s.room_id)
                        .bind(s.household_key)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if took == 0 {
                        refused = Some((i, s.room_id));
                        break;
                    }
                    let inserted: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
                        "INSERT INTO isolation_stays (person_id, measure_id, facility_id, \
                         room_id, community_code, household_key, status, planned_release_on, \
                         placed_at, placed_by, explanation, overridden) \
                         SELECT $1, $2, r.facility_id, r.id, f.community_code, $4, 'placed', $5, \
                         $6, $7, $8, $9 FROM rooms r JOIN facilities f ON f.id = r.facility_id \
                         WHERE r.id = $3 RETURNING id",
                    )
                    .bind(s.person_id)
                    .bind(s.measure_id)
                    .bind(s.room_id)
                    .bind(s.household_key)
                    .bind(s.planned_release_on)
                    .bind(now_ms)
                    .bind(by)
                    .bind(s.explanation)
                    .bind(s.overridden)
                    .fetch_one(&mut *tx)
                    .await;
                    match inserted.map_err(StoreError::from) {
                        Ok(id) => ids.push(id),
                        Err(StoreError::Conflict { .. }) => {
                            return Err(StoreError::Conflict {
                                constraint: format!(
                                    "person {} is already placed at a site",
                                    s.person_id
                                ),
                            });
                        }
                        Err(e) => return Err(e),
                    }
                }
                if refused.is_none() {
                    tx.commit().await?;
                }
                refused
            }
        );
        if let Some((i, room_id)) = refused {
            let room = self.room(room_id).await?;
            let why = if room.out_of_service_reason.is_some() {
                "is out of service".to_string()
            } else if room.occupants >= room.beds {
                format!("is full ({} of {} beds)", room.occupants, room.beds)
            } else if room.occupants > 0 {
                "holds another household".to_string()
            } else {
                "is being cleaned after its last check-out".to_string()
            };
            return Err(StoreError::Conflict {
                constraint: format!(
                    "placement {} (person {}): room {} {why}",
                    i + 1,
                    stays[i].person_id,
                    room.number
                ),
            });
        }
        Ok(ids)
    }

    /// A stay inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such stay in the scope.
    pub async fn stay(&self, scope: &Scope, id: i64) -> Result<Stay> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{STAY_SELECT} WHERE s.id = $1 AND s.community_code >= $2 AND s.community_code < $3"
        );
        let found: Option<Stay> = with_db!(
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

    /// Stays inside the scope, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn stays(&self, scope: &Scope, filter: &StayFilter) -> Result<Vec<Stay>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{STAY_SELECT} WHERE s.community_code >= $1 AND s.community_code < $2 \
             AND ($3 IS NULL OR s.facility_id = $3) AND ($4 = FALSE OR s.status <> 'out') \
             ORDER BY s.placed_at DESC, s.id DESC LIMIT $5"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(filter.site)
                    .bind(filter.open_only)
                    .bind(filter.limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Stays placed from `from_ms` on inside the scope: their placement time and planned
    /// release day (the inflow and stay lengths of the forecast).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn placements_since(
        &self,
        scope: &Scope,
        from_ms: i64,
    ) -> Result<Vec<(i64, i64, String)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT room_id, placed_at, planned_release_on FROM isolation_stays \
                     WHERE community_code >= $1 AND community_code < $2 AND placed_at >= $3 \
                     AND (outcome IS NULL OR outcome <> 'cancelled') ORDER BY placed_at",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(from_ms)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Marks a placed stay checked in.
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` unless it is placed.
    pub async fn check_in(&self, scope: &Scope, id: i64, now_ms: i64) -> Result<Stay> {
        let stay = self.stay(scope, id).await?;
        if stay.status != "placed" {
            return Err(StoreError::Conflict {
                constraint: format!("stay {id} is {}, not placed", stay.status),
            });
        }
        let changed = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE isolation_stays SET status = 'in', checked_in_at = $2 \
                     WHERE id = $1 AND status = 'placed'",
                )
                .bind(id)
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if changed == 0 {
            return Err(StoreError::Conflict {
                constraint: format!("stay {id} changed meanwhile"),
            });
        }
        self.stay(scope, id).await
    }

    /// Ends an open stay: `released` (with its certificate number) or `cancelled` (a
    /// placement before check-in). The room's bed is given back in the same transaction; a
    /// room someone checked out of goes through cleaning. When `release_measure` is set the
    /// measure is released too (its centralised stage was its last).
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` when the stay is not in a state that allows
    /// it (released: checked in; cancelled: placed) or changed meanwhile.
    #[allow(clippy::too_many_arguments)]
    pub async fn check_out(
        &self,
        scope: &Scope,
        id: i64,
        outcome: &str,
        note: Option<&str>,
        certificate_no: Option<&str>,
        release_measure: bool,
        by: &str,
        now_ms: i64,
    ) -> Result<Stay> {
        let stay = self.stay(scope, id).await?;
        let from = if outcome == "cancelled" {
            "placed"
        } else {
            "in"
        };
        if stay.status != from {
            return Err(StoreError::Conflict {
                constraint: format!("stay {id} is {}, not {from}", stay.status),
            });
        }
        let vacated = (from == "in").then_some(now_ms);
        let ok = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let changed = sqlx::query(
                    "UPDATE isolation_stays SET status = 'out', checked_out_at = $2, \
                     outcome = $3, outcome_note = $4, certificate_no = $5 \
                     WHERE id = $1 AND status = $6",
                )
                .bind(id)
                .bind(now_ms)
                .bind(outcome)
                .bind(note)
                .bind(certificate_no)
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    free_bed!(tx, stay.room_id, vacated);
                    if release_measure {
                        sqlx::query(
                            "UPDATE control_measures SET status = 'released', closed_at = $2, \
                             close_reason = $3, closed_by = $4 \
                             WHERE id = $1 AND status = 'active'",
                        )
                        .bind(stay.measure_id)
                        .bind(now_ms)
                        .bind("released from centralised quarantine")
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                }
                changed == 1
            }
        );
        if !ok {
            return Err(StoreError::Conflict {
                constraint: format!("stay {id} changed meanwhile"),
            });
        }
        self.stay(scope, id).await
    }

    /// Ends a checked-in stay by an early transfer to hospital: the stay is closed
    /// (`hospital`), the room's bed given back, and an admission opened at the hospital's
    /// ward of `bed_type`, all in one transaction. Returns the admission's id.
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` when the stay is not checked in, the
    /// hospital has no free bed of that type, or the person already has an open admission.
    pub async fn transfer_to_hospital(
        &self,
        scope: &Scope,
        id: i64,
        to: &TransferToHospital<'_>,
        by: &str,
        now_ms: i64,
    ) -> Result<i64> {
        let stay = self.stay(scope, id).await?;
        if stay.status != "in" {
            return Err(StoreError::Conflict {
                constraint: format!("stay {id} is {}, not checked in", stay.status),
            });
        }
        let occupied = crate::treatment::occupied_column(to.bed_type)?;
        let result: std::result::Result<i64, StoreError> = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let changed = sqlx::query(
                    "UPDATE isolation_stays SET status = 'out', checked_out_at = $2, \
                     outcome = 'hospital', outcome_note = $3 WHERE id = $1 AND status = 'in'",
                )
                .bind(id)
                .bind(now_ms)
                .bind(to.note)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    Err(StoreError::Conflict {
                        constraint: format!("stay {id} changed meanwhile"),
                    })
                } else {
                    free_bed!(tx, stay.room_id, Some(now_ms));
                    let admission = admit!(
                        tx,
                        occupied,
                        stay.person_id,
                        to.case_id,
                        to.hospital_id,
                        to.bed_type,
                        to.severity,
                        None::<i64>,
                        Some(id),
                        by,
                        now_ms
                    );
                    match admission {
                        Ok(admission) => {
                            tx.commit().await?;
                            Ok(admission)
                        }
                        Err(e) => Err(e),
                    }
                }
            }
        );
        result
    }
}
