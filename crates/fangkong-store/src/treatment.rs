//! Treatment: hospitals (facilities of kind `hospital`) and their beds by type, admissions
//! with their severity history, and treatment teams with their deployments.
//!
//! Admissions are scoped by the hospital's community. A hospital's `occupied_*` counter of a
//! bed type moves in the same transaction as the admission, transfer or discharge, by a
//! conditional UPDATE that matches no row when the ward is full; the schema's CHECK makes an
//! over-full ward impossible whatever the code path. A person has at most one open admission.

use fangkong_domain::Scope;

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// The counter column of a bed type (the only strings spliced into SQL here).
///
/// # Errors
/// `Corrupt` for an unknown bed type (the app parses bed types before calling).
pub(crate) fn occupied_column(bed_type: &str) -> Result<&'static str> {
    match bed_type {
        "general" => Ok("occupied_general"),
        "icu" => Ok("occupied_icu"),
        "isolation" => Ok("occupied_isolation"),
        other => Err(StoreError::Corrupt(format!("bed type {other:?}"))),
    }
}

/// Opens an admission inside a transaction `$tx`: takes a bed of `$bed_type` at the hospital
/// (the counter column `$column`), inserts the admission and its `admitted` event, and notes
/// the admission on the person's case. Evaluates to `Result<i64, StoreError>` (the new id;
/// `Conflict` with a readable reason for a full ward, a non-hospital or an open admission).
macro_rules! admit {
    ($tx:ident, $column:expr, $person:expr, $case:expr, $hospital:expr, $bed_type:expr,
     $severity:expr, $from_admission:expr, $from_stay:expr, $by:expr, $now:expr) => {{
        let take = format!(
            "UPDATE facilities SET {col} = {col} + 1 WHERE id = $1 AND kind = 'hospital' \
             AND {col} < beds_{bed}",
            col = $column,
            bed = $bed_type
        );
        let took = sqlx::query(&take)
            .bind($hospital)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if took == 0 {
            Err(StoreError::Conflict {
                constraint: format!(
                    "hospital {} has no free {} bed (or is not a hospital)",
                    $hospital, $bed_type
                ),
            })
        } else {
            let inserted: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO admissions (person_id, case_id, facility_id, community_code, \
                 bed_type, severity, admitted_at, admitted_by, from_admission_id, from_stay_id) \
                 SELECT $1, $2, f.id, f.community_code, $4, $5, $6, $7, $8, $9 \
                 FROM facilities f WHERE f.id = $3 RETURNING id",
            )
            .bind($person)
            .bind($case)
            .bind($hospital)
            .bind($bed_type)
            .bind($severity)
            .bind($now)
            .bind($by)
            .bind($from_admission)
            .bind($from_stay)
            .fetch_one(&mut *$tx)
            .await;
            match inserted.map_err(StoreError::from) {
                Err(StoreError::Conflict { .. }) => Err(StoreError::Conflict {
                    constraint: format!("person {} is already admitted to a hospital", $person),
                }),
                Err(e) => Err(e),
                Ok(id) => {
                    sqlx::query(
                        "INSERT INTO admission_events (admission_id, at, kind, detail, actor) \
                         VALUES ($1, $2, 'admitted', $3, $4)",
                    )
                    .bind(id)
                    .bind($now)
                    .bind(format!("{} {}", $bed_type, $severity))
                    .bind($by)
                    .execute(&mut *$tx)
                    .await?;
                    if let Some(case) = $case {
                        let noted = sqlx::query(
                            "UPDATE cases SET admitted_at = $2 \
                             WHERE id = $1 AND admitted_at IS NULL",
                        )
                        .bind(case)
                        .bind($now)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected();
                        if noted == 1 {
                            sqlx::query(
                                "INSERT INTO case_events (case_id, at, kind, to_value, actor) \
                                 VALUES ($1, $2, 'admitted', $3, $4)",
                            )
                            .bind(case)
                            .bind($now)
                            .bind($hospital.to_string())
                            .bind($by)
                            .execute(&mut *$tx)
                            .await?;
                        }
                    }
                    Ok(id)
                }
            }
        }
    }};
}
pub(crate) use admit;

/// Closes an open admission inside a transaction `$tx` and gives its bed back. Evaluates to
/// the number of admissions closed (0 when it was no longer open).
macro_rules! discharge {
    ($tx:ident, $column:expr, $id:expr, $hospital:expr, $outcome:expr, $note:expr, $by:expr,
     $now:expr) => {{
        let closed = sqlx::query(
            "UPDATE admissions SET discharged_at = $2, outcome = $3, outcome_note = $4 \
             WHERE id = $1 AND discharged_at IS NULL",
        )
        .bind($id)
        .bind($now)
        .bind($outcome)
        .bind($note)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if closed == 1 {
            let give = format!(
                "UPDATE facilities SET {col} = {col} - 1 WHERE id = $1",
                col = $column
            );
            sqlx::query(&give)
                .bind($hospital)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(
                "INSERT INTO admission_events (admission_id, at, kind, detail, actor) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind($id)
            .bind($now)
            .bind(if $outcome == "transferred" {
                "transferred"
            } else {
                "discharged"
            })
            .bind(match $note {
                Some(n) => format!("{} {}", $outcome, n),
                None => $outcome.to_string(),
            })
            .bind($by)
            .execute(&mut *$tx)
            .await?;
        }
        closed
    }};
}

/// A hospital with its beds and occupancy by type.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HospitalRow {
    pub id: i64,
    pub name: String,
    pub subtype: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub beds_general: i64,
    pub beds_icu: i64,
    pub beds_isolation: i64,
    pub occupied_general: i64,
    pub occupied_icu: i64,
    pub occupied_isolation: i64,
}

impl HospitalRow {
    /// Beds and occupied beds of a type.
    pub fn beds(&self, bed_type: &str) -> (i64, i64) {
        match bed_type {
            "general" => (self.beds_general, self.occupied_general),
            "icu" => (self.beds_icu, self.occupied_icu),
            _ => (self.beds_isolation, self.occupied_isolation),
        }
    }
}

const HOSPITAL_SELECT: &str = "SELECT id, name, subtype, community_code, lon, lat, beds_general, \
     beds_icu, beds_isolation, occupied_general, occupied_icu, occupied_isolation \
     FROM facilities WHERE kind = 'hospital'";

/// An admission with the person's masked identity and the hospital's name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Admission {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub doc_masked: String,
    pub birth_date: String,
    pub case_id: Option<i64>,
    pub facility_id: i64,
    pub hospital_name: String,
    pub community_code: String,
    pub bed_type: String,
    pub severity: String,
    pub admitted_at: i64,
    pub admitted_by: String,
    pub from_admission_id: Option<i64>,
    pub from_stay_id: Option<i64>,
    pub discharged_at: Option<i64>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

const ADMISSION_SELECT: &str = "SELECT a.id, a.person_id, p.name AS person_name, p.doc_masked, \
     p.birth_date, a.case_id, a.facility_id, f.name AS hospital_name, a.community_code, \
     a.bed_type, a.severity, a.admitted_at, a.admitted_by, a.from_admission_id, \
     a.from_stay_id, a.discharged_at, a.outcome, a.outcome_note \
     FROM admissions a JOIN persons p ON p.id = a.person_id \
     JOIN facilities f ON f.id = a.facility_id";

/// One entry of an admission's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AdmissionEvent {
    pub at: i64,
    pub kind: String,
    pub detail: String,
    pub actor: String,
}

/// An admission to open.
#[derive(Debug, Clone)]
pub struct NewAdmission<'a> {
    pub person_id: i64,
    pub case_id: Option<i64>,
    pub hospital_id: i64,
    pub bed_type: &'a str,
    pub severity: &'a str,
}

/// Where a transfer goes: a hospital's ward of a bed type, with the patient's severity.
#[derive(Debug, Clone, Copy)]
pub struct Ward<'a> {
    pub hospital_id: i64,
    pub bed_type: &'a str,
    pub severity: &'a str,
}

/// A deployment to make: a team at a facility for `starts_on..=ends_on`; `rotate_out` names
/// the deployment of another team there that hands over, ending on the given day (the day
/// before).
#[derive(Debug, Clone, Copy)]
pub struct NewDeployment<'a> {
    pub team_id: i64,
    pub facility_id: i64,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub rotate_out: Option<(i64, &'a str)>,
}

/// Which admissions to list.
#[derive(Debug, Clone, Default)]
pub struct AdmissionFilter {
    pub hospital: Option<i64>,
    pub open_only: bool,
    pub limit: i64,
}

/// A treatment team.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub jurisdiction_code: String,
    pub created_at: i64,
    pub members: i64,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TeamMember {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub specialty: String,
    pub leader: bool,
}

/// A deployment of a team to a facility, with both names.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Deployment {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub facility_id: i64,
    pub facility_name: String,
    pub facility_kind: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
}

const DEPLOYMENT_SELECT: &str = "SELECT d.id, d.team_id, t.name AS team_name, d.facility_id, \
     f.name AS facility_name, f.kind AS facility_kind, d.starts_on, d.ends_on, d.created_by \
     FROM team_deployments d JOIN teams t ON t.id = d.team_id \
     JOIN facilities f ON f.id = d.facility_id";

/// Access to hospitals, admissions and treatment teams.
pub struct Treatment<'a> {
    pub(crate) db: &'a Db,
}

impl Treatment<'_> {
    /// The hospitals inside the scope, designated ones first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn hospitals(&self, scope: &Scope) -> Result<Vec<HospitalRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{HOSPITAL_SELECT} AND community_code >= $1 AND community_code < $2 \
             ORDER BY CASE WHEN subtype = 'designated' THEN 0 ELSE 1 END, community_code, name, id"
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

    /// One hospital, whatever the scope (hospitals are places, not personal data: a site
    /// transfers to a designated hospital of another county).
    ///
    /// # Errors
    /// `NotFound` for an unknown hospital.
    pub async fn hospital(&self, id: i64) -> Result<HospitalRow> {
        let sql = format!("{HOSPITAL_SELECT} AND id = $1");
        let found: Option<HospitalRow> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Every designated hospital (the destinations of admissions and transfers).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn designated(&self) -> Result<Vec<HospitalRow>> {
        let sql = format!("{HOSPITAL_SELECT} AND subtype = 'designated' ORDER BY name, id");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }

    /// Opens an admission: a bed of its type at the hospital, all or nothing.
    ///
    /// # Errors
    /// `Conflict` when the ward is full or the person is already admitted.
    pub async fn admit(&self, a: &NewAdmission<'_>, by: &str, now_ms: i64) -> Result<i64> {
        let column = occupied_column(a.bed_type)?;
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let id = admit!(
                    tx,
                    column,
                    a.person_id,
                    a.case_id,
                    a.hospital_id,
                    a.bed_type,
                    a.severity,
                    None::<i64>,
                    None::<i64>,
                    by,
                    now_ms
                )?;
                tx.commit().await?;
                Ok(id)
            }
        )
    }

    /// Moves an open admission to another hospital or bed type: the current one is closed
    /// (`transferred`) and a new one opened that names it, in one transaction. Returns the
    /// new admission's id.
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` when it is closed or the destination ward is
    /// full (nothing changes then).
    pub async fn transfer(
        &self,
        scope: &Scope,
        id: i64,
        to: &Ward<'_>,
        by: &str,
        now_ms: i64,
    ) -> Result<i64> {
        let (to_hospital, to_bed_type, severity) = (to.hospital_id, to.bed_type, to.severity);
        let current = self.admission(scope, id).await?;
        if current.discharged_at.is_some() {
            return Err(StoreError::Conflict {
                constraint: format!("admission {id} is closed"),
            });
        }
        let from_column = occupied_column(&current.bed_type)?;
        let to_column = occupied_column(to_bed_type)?;
        let note = format!("to {to_hospital} {to_bed_type}");
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let closed = discharge!(
                    tx,
                    from_column,
                    id,
                    current.facility_id,
                    "transferred",
                    Some(note.as_str()),
                    by,
                    now_ms
                );
                if closed == 0 {
                    return Err(StoreError::Conflict {
                        constraint: format!("admission {id} changed meanwhile"),
                    });
                }
                let new_id = admit!(
                    tx,
                    to_column,
                    current.person_id,
                    current.case_id,
                    to_hospital,
                    to_bed_type,
                    severity,
                    Some(id),
                    current.from_stay_id,
                    by,
                    now_ms
                )?;
                tx.commit().await?;
                Ok(new_id)
            }
        )
    }

    /// Discharges an open admission with its outcome; the case (if any) records a recovery
    /// or death as its outcome.
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` when it is already closed.
    pub async fn discharge(
        &self,
        scope: &Scope,
        id: i64,
        outcome: &str,
        note: Option<&str>,
        by: &str,
        now_ms: i64,
    ) -> Result<Admission> {
        let current = self.admission(scope, id).await?;
        let column = occupied_column(&current.bed_type)?;
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let closed = discharge!(
                    tx,
                    column,
                    id,
                    current.facility_id,
                    outcome,
                    note,
                    by,
                    now_ms
                );
                if closed == 0 {
                    return Err(StoreError::Conflict {
                        constraint: format!("admission {id} is closed"),
                    });
                }
                if let (Some(case), "recovered" | "died") = (current.case_id, outcome) {
                    let changed = sqlx::query(
                        "UPDATE cases SET outcome = $2, outcome_at = $3 \
                         WHERE id = $1 AND outcome = 'open'",
                    )
                    .bind(case)
                    .bind(outcome)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed == 1 {
                        sqlx::query(
                            "INSERT INTO case_events (case_id, at, kind, from_value, to_value, \
                             actor) VALUES ($1, $2, 'outcome', 'open', $3, $4)",
                        )
                        .bind(case)
                        .bind(now_ms)
                        .bind(outcome)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
            }
        );
        self.admission(scope, id).await
    }

    /// Records a change of severity of an open admission.
    ///
    /// # Errors
    /// `NotFound` outside the scope; `Conflict` when it is closed.
    pub async fn set_severity(
        &self,
        scope: &Scope,
        id: i64,
        severity: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<Admission> {
        let current = self.admission(scope, id).await?;
        let changed = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let changed = sqlx::query(
                    "UPDATE admissions SET severity = $2 WHERE id = $1 AND discharged_at IS NULL",
                )
                .bind(id)
                .bind(severity)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    sqlx::query(
                        "INSERT INTO admission_events (admission_id, at, kind, detail, actor) \
                         VALUES ($1, $2, 'severity', $3, $4)",
                    )
                    .bind(id)
                    .bind(now_ms)
                    .bind(format!("{} → {severity}", current.severity))
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                }
                changed
            }
        );
        if changed == 0 {
            return Err(StoreError::Conflict {
                constraint: format!("admission {id} is closed"),
            });
        }
        self.admission(scope, id).await
    }

    /// An admission inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such admission in the scope.
    pub async fn admission(&self, scope: &Scope, id: i64) -> Result<Admission> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ADMISSION_SELECT} WHERE a.id = $1 AND a.community_code >= $2 \
             AND a.community_code < $3"
        );
        let found: Option<Admission> = with_db!(
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

    /// Admissions inside the scope, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn admissions(
        &self,
        scope: &Scope,
        filter: &AdmissionFilter,
    ) -> Result<Vec<Admission>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ADMISSION_SELECT} WHERE a.community_code >= $1 AND a.community_code < $2 \
             AND ($3 IS NULL OR a.facility_id = $3) AND ($4 = FALSE OR a.discharged_at IS NULL) \
             ORDER BY a.admitted_at DESC, a.id DESC LIMIT $5"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(filter.hospital)
                    .bind(filter.open_only)
                    .bind(filter.limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Admissions inside the scope open at some time since `from_ms`, or admitted since then
    /// (the forecast's inflow and lengths of stay): bed type, admitted and discharged times.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn admission_times(
        &self,
        scope: &Scope,
        from_ms: i64,
    ) -> Result<Vec<(String, i64, Option<i64>, Option<String>)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT bed_type, admitted_at, discharged_at, outcome FROM admissions \
                     WHERE community_code >= $1 AND community_code < $2 \
                     AND (discharged_at IS NULL OR discharged_at >= $3) ORDER BY admitted_at",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(from_ms)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// An admission's history, oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn admission_events(&self, id: i64) -> Result<Vec<AdmissionEvent>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT at, kind, detail, actor FROM admission_events \
                     WHERE admission_id = $1 ORDER BY at, id",
                )
                .bind(id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The open admission of a person, whatever the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn open_admission_of(&self, person_id: i64) -> Result<Option<(i64, String)>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT a.id, f.name FROM admissions a JOIN facilities f ON f.id = a.facility_id \
                     WHERE a.person_id = $1 AND a.discharged_at IS NULL",
                )
                .bind(person_id)
                .fetch_optional(pool)
                .await?
                }
        ))
    }

    /// Creates a team with its members (at least one; the first leader is its leader).
    ///
    /// # Errors
    /// `Conflict` for a name already taken or a member named twice.
    pub async fn create_team(
        &self,
        name: &str,
        jurisdiction_code: &str,
        members: &[(String, String, bool)],
        now_ms: i64,
    ) -> Result<i64> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO teams (name, jurisdiction_code, created_at) \
                     VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(name)
                .bind(jurisdiction_code)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
                for (member, specialty, leader) in members {
                    sqlx::query(
                        "INSERT INTO team_members (team_id, name, specialty, leader) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(member)
                    .bind(specialty)
                    .bind(*leader)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(id)
            }
        )
    }

    /// The teams inside the scope (by the team's jurisdiction), by name.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT t.id, t.name, t.jurisdiction_code, t.created_at, \
                     (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS members \
                     FROM teams t WHERE t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2 \
                     ORDER BY t.name, t.id",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// A team inside the scope.
    ///
    /// # Errors
    /// `NotFound` when there is no such team in the scope.
    pub async fn team(&self, scope: &Scope, id: i64) -> Result<Team> {
        self.teams(scope)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// The members of teams, by team then leader first then name.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn members(&self, team_ids: &[i64]) -> Result<Vec<TeamMember>> {
        let mut all = Vec::new();
        for &team in team_ids {
            let rows: Vec<TeamMember> = with_db!(
                self.db,
                read | pool | {
                    sqlx::query_as(
                        "SELECT id, team_id, name, specialty, leader FROM team_members \
                         WHERE team_id = $1 ORDER BY leader DESC, name, id",
                    )
                    .bind(team)
                    .fetch_all(pool)
                    .await?
                }
            );
            all.extend(rows);
        }
        Ok(all)
    }

    /// Deploys a team to a facility for `starts_on..=ends_on`; when `rotate_out` names a
    /// deployment of another team at that facility, it ends the day before (rotation), in the
    /// same transaction.
    ///
    /// # Errors
    /// `Conflict` when the team is deployed elsewhere on one of those days, or the rotated
    /// deployment does not run at that facility until at least `starts_on`.
    pub async fn deploy(&self, d: &NewDeployment<'_>, by: &str, now_ms: i64) -> Result<i64> {
        let NewDeployment {
            team_id,
            facility_id,
            starts_on,
            ends_on,
            rotate_out,
        } = *d;
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                if let Some((out_id, day_before)) = rotate_out {
                    let ended = sqlx::query(
                        "UPDATE team_deployments SET ends_on = $3 WHERE id = $1 \
                         AND facility_id = $2 AND team_id <> $5 AND starts_on <= $3 \
                         AND ends_on >= $4",
                    )
                    .bind(out_id)
                    .bind(facility_id)
                    .bind(day_before)
                    .bind(starts_on)
                    .bind(team_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if ended == 0 {
                        return Err(StoreError::Conflict {
                            constraint: format!(
                                "deployment {out_id} does not run at this facility from \
                                 before {starts_on} until then"
                            ),
                        });
                    }
                }
                let overlapping: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT f.name, d.starts_on, d.ends_on FROM team_deployments d \
                     JOIN facilities f ON f.id = d.facility_id \
                     WHERE d.team_id = $1 AND d.starts_on <= $3 AND d.ends_on >= $2 LIMIT 1",
                )
                .bind(team_id)
                .bind(starts_on)
                .bind(ends_on)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((place, from, to)) = overlapping {
                    return Err(StoreError::Conflict {
                        constraint: format!("the team is deployed to {place} from {from} to {to}"),
                    });
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO team_deployments (team_id, facility_id, starts_on, ends_on, \
                     created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(team_id)
                .bind(facility_id)
                .bind(starts_on)
                .bind(ends_on)
                .bind(now_ms)
                .bind(by)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            }
        )
    }

    /// Deployments running on some day of `from..=to`, of teams or at facilities inside
    /// the scope, by facility then start.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn deployments(
        &self,
        scope: &Scope,
        from: &str,
        to: &str,
    ) -> Result<Vec<Deployment>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{DEPLOYMENT_SELECT} WHERE d.starts_on <= $4 AND d.ends_on >= $3 \
             AND ((t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2) \
                  OR (f.community_code >= $1 AND f.community_code < $2)) \
             ORDER BY f.name, d.facility_id, d.starts_on, d.id"
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
}
