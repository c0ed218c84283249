//! Vaccination records and each person's immunization status; coverage, trend and outreach
//! reads.
//!
//! A record is keyed by (person, dose number). [`Immunization::record_doses`] applies a batch
//! in one transaction: every person must be registered and inside the scope, or nothing is
//! written; a dose already stored with the same values is left alone, a changed one is
//! updated, a removal deletes it; then the status of every person touched is recomputed from
//! all of their doses ([`fangkong_domain::immunization::Status::of`]). The scope of a record
//! is its person's community.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use fangkong_domain::immunization::{Dose, Status, VaccineProduct};
use fangkong_domain::{JurisdictionCode, Permission, Scope};

use crate::backend::{with_db, with_raw_sqlite, Db};
use crate::persons::{Person, COLUMNS_P};
use crate::{within_bounds, Result, StoreError};

/// The immunization tables.
pub struct Immunization<'a> {
    pub(crate) db: &'a Db,
}

/// One dose to record or remove.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDose {
    pub person_id: i64,
    pub dose: Dose,
    pub lot: Option<String>,
    pub site: Option<String>,
    /// The id of the FHIR Immunization resource it came from.
    pub fhir_id: Option<String>,
    /// Remove the person's record of this dose number (a FHIR `entered-in-error`).
    pub remove: bool,
}

/// What a batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DosesRecorded {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Persons whose status was recomputed.
    pub persons: u64,
}

/// A stored dose.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredDose {
    pub id: i64,
    pub person_id: i64,
    pub dose_number: i64,
    pub product: String,
    pub vaccinated_on: String,
    pub lot: Option<String>,
    pub site: Option<String>,
    pub source: String,
    pub fhir_id: Option<String>,
    pub recorded_at: i64,
}

/// A person's stored status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatusRow {
    pub doses: i64,
    pub first_on: String,
    pub full_on: Option<String>,
    pub booster_on: Option<String>,
    pub last_on: String,
    pub next_due_on: Option<String>,
}

/// Population and vaccinated counts of one area and age band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageCell {
    /// The code prefix of the area (a child jurisdiction of `within`).
    pub area: String,
    /// 0: 0-14, 1: 15-59, 2: 60-79, 3: 80+.
    pub band: usize,
    pub population: i64,
    pub first: i64,
    pub full: i64,
    pub booster: i64,
}

/// Which people an outreach list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutreachKind {
    /// No dose at all.
    Unvaccinated,
    /// A next dose due before today.
    Overdue,
    /// Either.
    Both,
}

/// The filter of an outreach list.
#[derive(Debug, Clone)]
pub struct OutreachFilter<'a> {
    pub within: Option<&'a JurisdictionCode>,
    /// Born on or before this day (the group's youngest age reached by today).
    pub born_by: NaiveDate,
    /// Only these occupations, when given.
    pub occupations: Option<&'a [&'a str]>,
    pub kind: OutreachKind,
    pub today: NaiveDate,
}

/// One person of an outreach list.
#[derive(Debug, Clone, PartialEq)]
pub struct OutreachEntry {
    pub person: Person,
    pub status: Option<StatusRow>,
}

fn require(scope: &Scope, permission: Permission) -> Result<()> {
    if scope.can(permission) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// (person, dose number, product, day, lot, site) as read for a batch.
type StoredRow = (i64, i64, String, String, Option<String>, Option<String>);

#[derive(Debug, Clone, PartialEq)]
struct Existing {
    dose_number: u32,
    product: String,
    on: String,
    lot: Option<String>,
    site: Option<String>,
}

/// The changes of one person's doses.
#[derive(Debug, Default)]
struct PersonChange<'d> {
    inserts: Vec<&'d NewDose>,
    updates: Vec<&'d NewDose>,
    removes: Vec<u32>,
    unchanged: u64,
    /// The status after the change; `None` when no dose is left.
    status: Option<Status>,
}

/// Applies the incoming doses (in order, the last of a dose number winning) to the stored
/// ones of a person, and gives the writes and the resulting status.
fn change_of<'d>(existing: Vec<Existing>, incoming: &[&'d NewDose]) -> PersonChange<'d> {
    let mut after: BTreeMap<u32, (String, String)> = existing
        .iter()
        .map(|e| (e.dose_number, (e.product.clone(), e.on.clone())))
        .collect();
    let stored: HashMap<u32, &Existing> = existing.iter().map(|e| (e.dose_number, e)).collect();
    let mut last: BTreeMap<u32, &'d NewDose> = BTreeMap::new();
    for d in incoming {
        last.insert(d.dose.number, d);
    }
    let mut change = PersonChange::default();
    for (number, d) in last {
        let on = d.dose.on.to_string();
        match (stored.get(&number), d.remove) {
            (None, true) => change.unchanged += 1,
            (Some(_), true) => {
                change.removes.push(number);
                after.remove(&number);
            }
            (None, false) => {
                change.inserts.push(d);
                after.insert(number, (d.dose.product.as_str().to_string(), on));
            }
            (Some(e), false) => {
                if e.product == d.dose.product.as_str()
                    && e.on == on
                    && e.lot == d.lot
                    && e.site == d.site
                {
                    change.unchanged += 1;
                } else {
                    change.updates.push(d);
                    after.insert(number, (d.dose.product.as_str().to_string(), on));
                }
            }
        }
    }
    let doses: Vec<Dose> = after
        .into_iter()
        .filter_map(|(number, (product, on))| {
            Some(Dose {
                number,
                product: VaccineProduct::parse(&product)?,
                on: on.parse().ok()?,
            })
        })
        .collect();
    change.status = (!doses.is_empty()).then(|| Status::of(&doses));
    change
}

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

const STATUS_UPSERT: &str = "INSERT INTO immunization_status (person_id, doses, first_on, \
    full_on, booster_on, last_on, next_due_on) VALUES ($1, $2, $3, $4, $5, $6, $7) \
    ON CONFLICT (person_id) DO UPDATE SET doses = excluded.doses, \
    first_on = excluded.first_on, full_on = excluded.full_on, \
    booster_on = excluded.booster_on, last_on = excluded.last_on, \
    next_due_on = excluded.next_due_on";
const DOSE_INSERT: &str = "INSERT INTO vaccinations (person_id, dose_number, product, \
    vaccinated_on, lot, site, source, fhir_id, recorded_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
const DOSE_UPDATE: &str = "UPDATE vaccinations SET product = $3, vaccinated_on = $4, \
    lot = $5, site = $6, source = $7, fhir_id = COALESCE($8, fhir_id), updated_at = $9 \
    WHERE person_id = $1 AND dose_number = $2";
const DOSE_DELETE: &str = "DELETE FROM vaccinations WHERE person_id = $1 AND dose_number = $2";
const STATUS_DELETE: &str = "DELETE FROM immunization_status WHERE person_id = $1";
const EXISTING: &str = "SELECT dose_number, product, vaccinated_on, lot, site \
    FROM vaccinations WHERE person_id = $1";
const PERSON: &str = "SELECT community_code, merged_into FROM persons WHERE id = $1";

/// The survivor of each requested person id, or the indices of the doses whose person is not
/// registered or lies outside the scope.
fn survivors(
    scope: &Scope,
    doses: &[NewDose],
    mut lookup: impl FnMut(i64) -> std::result::Result<Option<(String, Option<i64>)>, StoreError>,
) -> Result<std::result::Result<Vec<i64>, Vec<usize>>> {
    let mut cache: HashMap<i64, Option<i64>> = HashMap::new();
    let mut out = Vec::with_capacity(doses.len());
    let mut missing = Vec::new();
    for (i, d) in doses.iter().enumerate() {
        let resolved = match cache.get(&d.person_id) {
            Some(r) => *r,
            None => {
                let mut id = d.person_id;
                let mut found = None;
                // A merged record points at its survivor, which is never itself merged.
                for _ in 0..2 {
                    match lookup(id)? {
                        Some((_, Some(survivor))) => id = survivor,
                        Some((community, None)) => {
                            found = scope.covers(&community).then_some(id);
                            break;
                        }
                        None => break,
                    }
                }
                cache.insert(d.person_id, found);
                found
            }
        };
        match resolved {
            Some(id) => out.push(id),
            None => missing.push(i),
        }
    }
    Ok(if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    })
}

/// The doses grouped by survivor, in person order.
fn by_person<'d>(doses: &'d [NewDose], survivors: &[i64]) -> BTreeMap<i64, Vec<&'d NewDose>> {
    let mut map: BTreeMap<i64, Vec<&NewDose>> = BTreeMap::new();
    for (d, id) in doses.iter().zip(survivors) {
        map.entry(*id).or_default().push(d);
    }
    map
}

fn record_raw(
    db: &rusqlite::Connection,
    scope: &Scope,
    doses: &[NewDose],
    source: &str,
    now_ms: i64,
) -> Result<std::result::Result<DosesRecorded, Vec<usize>>> {
    let sql = |s: &str| s.replace('$', "?");
    let mut person = db.prepare_cached(&sql(PERSON)).map_err(raw)?;
    let ids = match survivors(scope, doses, |id| {
        use rusqlite::OptionalExtension as _;
        person
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(raw)
    })? {
        Ok(ids) => ids,
        Err(missing) => return Ok(Err(missing)),
    };
    let mut existing = db.prepare_cached(&sql(EXISTING)).map_err(raw)?;
    let mut insert = db.prepare_cached(&sql(DOSE_INSERT)).map_err(raw)?;
    let mut update = db.prepare_cached(&sql(DOSE_UPDATE)).map_err(raw)?;
    let mut delete = db.prepare_cached(&sql(DOSE_DELETE)).map_err(raw)?;
    let mut status_upsert = db.prepare_cached(&sql(STATUS_UPSERT)).map_err(raw)?;
    let mut status_delete = db.prepare_cached(&sql(STATUS_DELETE)).map_err(raw)?;
    let mut out = DosesRecorded::default();
    for (person_id, incoming) in by_person(doses, &ids) {
        let stored: Vec<Existing> = existing
            .query_map([person_id], |r| {
                Ok(Existing {
                    dose_number: r.get(0)?,
                    product: r.get(1)?,
                    on: r.get(2)?,
                    lot: r.get(3)?,
                    site: r.get(4)?,
                })
            })
            .map_err(raw)?
            .collect::<rusqlite::Result<_>>()
            .map_err(raw)?;
        let change = change_of(stored, &incoming);
        out.unchanged += change.unchanged;
        let written =
            !change.inserts.is_empty() || !change.updates.is_empty() || !change.removes.is_empty();
        for (stmt, list, counter) in [
            (&mut insert, &change.inserts, &mut out.inserted),
            (&mut update, &change.updates, &mut out.updated),
        ] {
            for d in list {
                stmt.execute(rusqlite::params![
                    person_id,
                    d.dose.number,
                    d.dose.product.as_str(),
                    d.dose.on.to_string(),
                    d.lot,
                    d.site,
                    source,
                    d.fhir_id,
                    now_ms
                ])
                .map_err(raw)?;
                *counter += 1;
            }
        }
        for number in &change.removes {
            delete
                .execute(rusqlite::params![person_id, number])
                .map_err(raw)?;
            out.removed += 1;
        }
        if !written {
            continue;
        }
        out.persons += 1;
        match change.status {
            Some(s) => status_upsert
                .execute(rusqlite::params![
                    person_id,
                    s.doses,
                    day(s.first_on),
                    day(s.full_on),
                    day(s.booster_on),
                    day(s.last_on),
                    day(s.next_due_on)
                ])
                .map_err(raw)?,
            None => status_delete.execute([person_id]).map_err(raw)?,
        };
    }
    Ok(Ok(out))
}

fn raw(e: rusqlite::Error) -> StoreError {
    StoreError::from(e)
}

impl Immunization<'_> {
    /// Records (or removes) doses in one transaction and recomputes the status of every
    /// person whose doses changed. `Ok(Err(indices))` names the doses whose person is not
    /// registered or lies outside the scope; nothing is written then. A merged person's dose
    /// is recorded on the surviving record.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.write`; `Unavailable` on database failure (nothing
    /// is written then).
    pub async fn record_doses(
        &self,
        scope: &Scope,
        doses: &[NewDose],
        source: &str,
        now_ms: i64,
    ) -> Result<std::result::Result<DosesRecorded, Vec<usize>>> {
        require(scope, Permission::ImmunizationWrite)?;
        let pool = match self.db {
            Db::Sqlite { write, .. } => {
                let mut tx = write.begin().await?;
                let out = with_raw_sqlite(&mut tx, |db| {
                    Ok(record_raw(db, scope, doses, source, now_ms))
                })
                .await??;
                if out.is_ok() {
                    tx.commit().await?;
                }
                return Ok(out);
            }
            Db::Postgres(pool) => pool,
        };
        let mut tx = pool.begin().await?;
        let mut lookups: HashMap<i64, Option<(String, Option<i64>)>> = HashMap::new();
        let mut wanted: Vec<i64> = doses.iter().map(|d| d.person_id).collect();
        wanted.sort_unstable();
        wanted.dedup();
        // Two rounds: the records asked for, then the survivors of merged ones.
        for _ in 0..2 {
            let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, community_code, merged_into FROM persons WHERE id = ANY($1)",
            )
            .bind(&wanted)
            .fetch_all(&mut *tx)
            .await?;
            for id in &wanted {
                lookups.entry(*id).or_insert(None);
            }
            wanted.clear();
            for (id, community, merged) in rows {
                if let Some(m) = merged {
                    if !lookups.contains_key(&m) {
                        wanted.push(m);
                    }
                }
                lookups.insert(id, Some((community, merged)));
            }
        }
        let ids = match survivors(scope, doses, |id| Ok(lookups.get(&id).cloned().flatten()))? {
            Ok(ids) => ids,
            Err(missing) => return Ok(Err(missing)),
        };
        let grouped = by_person(doses, &ids);
        let persons: Vec<i64> = grouped.keys().copied().collect();
        let rows: Vec<StoredRow> = sqlx::query_as(
            "SELECT person_id, dose_number, product, vaccinated_on, lot, site \
                 FROM vaccinations WHERE person_id = ANY($1)",
        )
        .bind(&persons)
        .fetch_all(&mut *tx)
        .await?;
        let mut stored: HashMap<i64, Vec<Existing>> = HashMap::new();
        for (person, number, product, on, lot, site) in rows {
            stored.entry(person).or_default().push(Existing {
                dose_number: u32::try_from(number).unwrap_or(0),
                product,
                on,
                lot,
                site,
            });
        }
        let mut out = DosesRecorded::default();
        for (person_id, incoming) in &grouped {
            let change = change_of(stored.remove(person_id).unwrap_or_default(), incoming);
            out.unchanged += change.unchanged;
            let written = !change.inserts.is_empty()
                || !change.updates.is_empty()
                || !change.removes.is_empty();
            for (sql, list) in [
                (DOSE_INSERT, &change.inserts),
                (DOSE_UPDATE, &change.updates),
            ] {
                for d in list {
                    sqlx::query(sql)
                        .bind(person_id)
                        .bind(i64::from(d.dose.number))
                        .bind(d.dose.product.as_str())
                        .bind(d.dose.on.to_string())
                        .bind(&d.lot)
                        .bind(&d.site)
                        .bind(source)
                        .bind(&d.fhir_id)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            out.inserted += change.inserts.len() as u64;
            out.updated += change.updates.len() as u64;
            for number in &change.removes {
                sqlx::query(DOSE_DELETE)
                    .bind(person_id)
                    .bind(i64::from(*number))
                    .execute(&mut *tx)
                    .await?;
                out.removed += 1;
            }
            if !written {
                continue;
            }
            out.persons += 1;
            match change.status {
                Some(s) => {
                    sqlx::query(STATUS_UPSERT)
                        .bind(person_id)
                        .bind(i64::from(s.doses))
                        .bind(day(s.first_on))
                        .bind(day(s.full_on))
                        .bind(day(s.booster_on))
                        .bind(day(s.last_on))
                        .bind(day(s.next_due_on))
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query(STATUS_DELETE)
                        .bind(person_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(Ok(out))
    }

    /// The doses of a person in the scope, by dose number.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` for a person outside the scope.
    pub async fn doses_of(&self, scope: &Scope, person_id: i64) -> Result<Vec<StoredDose>> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        let found: Option<(i64,)> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id FROM persons WHERE id = $1 AND community_code >= $2 \
                     AND community_code < $3",
                )
                .bind(person_id)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(pool)
                .await?
            }
        );
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, person_id, dose_number, product, vaccinated_on, lot, site, \
                     source, fhir_id, recorded_at FROM vaccinations WHERE person_id = $1 \
                     ORDER BY dose_number",
                )
                .bind(person_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// One dose record by id, in the scope.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn dose(&self, scope: &Scope, id: i64) -> Result<StoredDose> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT v.id, v.person_id, v.dose_number, v.product, v.vaccinated_on, \
                     v.lot, v.site, v.source, v.fhir_id, v.recorded_at FROM vaccinations v \
                     JOIN persons p ON p.id = v.person_id WHERE v.id = $1 \
                     AND p.community_code >= $2 AND p.community_code < $3",
                )
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(pool)
                .await?
            }
        )
        .ok_or(StoreError::NotFound)
    }

    /// Dose records of the persons in the scope and `within`, by id from `after_id`, at
    /// most `limit` (an export pages through them).
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`.
    pub async fn doses_in(
        &self,
        scope: &Scope,
        within: Option<&JurisdictionCode>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredDose>> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = within_bounds(within);
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT v.id, v.person_id, v.dose_number, v.product, v.vaccinated_on, \
                     v.lot, v.site, v.source, v.fhir_id, v.recorded_at FROM vaccinations v \
                     JOIN persons p ON p.id = v.person_id WHERE v.id > $1 \
                     AND p.community_code >= $2 AND p.community_code < $3 \
                     AND p.community_code >= $4 AND p.community_code < $5 \
                     ORDER BY v.id LIMIT $6",
                )
                .bind(after_id)
                .bind(&lo)
                .bind(&hi)
                .bind(&wlo)
                .bind(&whi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Population and vaccinated counts per child area of `within` (areas of `area_len`
    /// code characters) and age band, where `cutoffs` are the birth dates (ISO) that start
    /// the bands 15-59, 60-79 and 80+.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`.
    pub async fn coverage(
        &self,
        scope: &Scope,
        within: Option<&JurisdictionCode>,
        area_len: usize,
        cutoffs: &[String; 3],
    ) -> Result<Vec<CoverageCell>> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = within_bounds(within);
        let sql = format!(
            "SELECT substr(p.community_code, 1, {area_len}) AS area, \
               CASE WHEN p.birth_date > $5 THEN 0 WHEN p.birth_date > $6 THEN 1 \
                    WHEN p.birth_date > $7 THEN 2 ELSE 3 END AS band, \
               COUNT(*), COUNT(s.first_on), COUNT(s.full_on), COUNT(s.booster_on) \
             FROM persons p LEFT JOIN immunization_status s ON s.person_id = p.id \
             WHERE p.community_code >= $1 AND p.community_code < $2 \
               AND p.community_code >= $3 AND p.community_code < $4 \
               AND p.merged_into IS NULL \
             GROUP BY area, band ORDER BY area, band"
        );
        let rows: Vec<(String, i32, i64, i64, i64, i64)> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(&cutoffs[0])
                    .bind(&cutoffs[1])
                    .bind(&cutoffs[2])
                    .fetch_all(pool)
                    .await?
            }
        );
        Ok(rows
            .into_iter()
            .map(
                |(area, band, population, first, full, booster)| CoverageCell {
                    area,
                    band: usize::try_from(band).unwrap_or(0),
                    population,
                    first,
                    full,
                    booster,
                },
            )
            .collect())
    }

    /// Persons who reached each level on each day, in the scope and `within`: rows of
    /// (day, level 0 first / 1 full / 2 booster, count), by day.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`.
    pub async fn daily_new(
        &self,
        scope: &Scope,
        within: Option<&JurisdictionCode>,
    ) -> Result<Vec<(String, i32, i64)>> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = within_bounds(within);
        let part = |column: &str, level: i32| {
            format!(
                "SELECT s.{column} AS day, {level} AS level, COUNT(*) AS n \
                 FROM immunization_status s JOIN persons p ON p.id = s.person_id \
                 WHERE s.{column} IS NOT NULL AND p.community_code >= $1 \
                 AND p.community_code < $2 AND p.community_code >= $3 \
                 AND p.community_code < $4 AND p.merged_into IS NULL GROUP BY s.{column}"
            )
        };
        let sql = format!(
            "{} UNION ALL {} UNION ALL {} ORDER BY day, level",
            part("first_on", 0),
            part("full_on", 1),
            part("booster_on", 2)
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// The persons of an outreach list, by community and age (oldest first), a page of
    /// `limit` from `offset`, and how many there are in all.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`.
    pub async fn outreach(
        &self,
        scope: &Scope,
        filter: &OutreachFilter<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<OutreachEntry>, i64)> {
        require(scope, Permission::ImmunizationRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = within_bounds(filter.within);
        let kind = match filter.kind {
            OutreachKind::Unvaccinated => "s.person_id IS NULL",
            OutreachKind::Overdue => "s.next_due_on < $6",
            OutreachKind::Both => "(s.person_id IS NULL OR s.next_due_on < $6)",
        };
        let occupations = filter.occupations.map_or_else(String::new, |list| {
            let quoted: Vec<String> = list
                .iter()
                .filter(|o| o.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .map(|o| format!("'{o}'"))
                .collect();
            format!(" AND p.occupation IN ({})", quoted.join(", "))
        });
        let filter_sql = format!(
            "FROM persons p LEFT JOIN immunization_status s ON s.person_id = p.id \
             WHERE p.community_code >= $1 AND p.community_code < $2 \
               AND p.community_code >= $3 AND p.community_code < $4 \
               AND p.merged_into IS NULL AND p.purged_at IS NULL AND p.closed_at IS NULL \
               AND p.birth_date <= $5 AND ($6 = $6) AND {kind}{occupations}"
        );
        let born_by = filter.born_by.to_string();
        let today = filter.today.to_string();
        let list_sql = format!(
            "SELECT {COLUMNS_P}, s.doses, s.first_on, s.full_on, s.booster_on, s.last_on, \
             s.next_due_on {filter_sql} ORDER BY p.community_code, p.birth_date, p.id \
             LIMIT $7 OFFSET $8"
        );
        let count_sql = format!("SELECT COUNT(*) {filter_sql}");
        let (rows, total): (Vec<OutreachRow>, i64) = with_db!(
            self.db,
            read | pool | {
                let rows = sqlx::query_as(&list_sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(&born_by)
                    .bind(&today)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?;
                let total = sqlx::query_scalar(&count_sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(&born_by)
                    .bind(&today)
                    .fetch_one(pool)
                    .await?;
                (rows, total)
            }
        );
        Ok((
            rows.into_iter().map(OutreachRow::into_entry).collect(),
            total,
        ))
    }
}

#[derive(sqlx::FromRow)]
struct OutreachRow {
    #[sqlx(flatten)]
    person: Person,
    doses: Option<i64>,
    first_on: Option<String>,
    full_on: Option<String>,
    booster_on: Option<String>,
    last_on: Option<String>,
    next_due_on: Option<String>,
}

impl OutreachRow {
    fn into_entry(self) -> OutreachEntry {
        let status = match (self.doses, self.first_on, self.last_on) {
            (Some(doses), Some(first_on), Some(last_on)) => Some(StatusRow {
                doses,
                first_on,
                full_on: self.full_on,
                booster_on: self.booster_on,
                last_on,
                next_due_on: self.next_due_on,
            }),
            _ => None,
        };
        OutreachEntry {
            person: self.person,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dose(number: u32, product: VaccineProduct, on: &str, remove: bool) -> NewDose {
        NewDose {
            person_id: 1,
            dose: Dose {
                number,
                product,
                on: on.parse().unwrap(),
            },
            lot: None,
            site: None,
            fhir_id: None,
            remove,
        }
    }

    #[test]
    fn a_change_counts_inserts_updates_unchanged_and_removals() {
        let stored = vec![
            Existing {
                dose_number: 1,
                product: "coronavac".into(),
                on: "2021-05-01".into(),
                lot: None,
                site: None,
            },
            Existing {
                dose_number: 2,
                product: "coronavac".into(),
                on: "2021-05-22".into(),
                lot: None,
                site: None,
            },
        ];
        let same = dose(1, VaccineProduct::CoronaVac, "2021-05-01", false);
        let moved = dose(2, VaccineProduct::CoronaVac, "2021-05-25", false);
        let booster = dose(3, VaccineProduct::Bibp, "2021-11-01", false);
        let change = change_of(stored.clone(), &[&same, &moved, &booster]);
        assert_eq!(change.unchanged, 1);
        assert_eq!(change.updates, vec![&moved]);
        assert_eq!(change.inserts, vec![&booster]);
        let status = change.status.unwrap();
        assert_eq!(status.full_on.unwrap().to_string(), "2021-05-25");
        assert_eq!(status.booster_on.unwrap().to_string(), "2021-11-01");
        let gone = [
            dose(1, VaccineProduct::CoronaVac, "2021-05-01", true),
            dose(2, VaccineProduct::CoronaVac, "2021-05-01", true),
        ];
        let change = change_of(stored, &[&gone[0], &gone[1]]);
        assert_eq!(change.removes, vec![1, 2]);
        assert_eq!(change.status, None);
    }
}
