//! Isolation (隔离管控): quarantine sites and rooms, the placement queue, allocation of
//! rooms (`fangkong_allocation`), stays from placement to release or transfer to hospital,
//! and the room forecast.
//!
//! Who waits for a room: a person under an open control measure with a centralised-quarantine
//! stage that has not ended, without a stay for it (a cancelled placement puts them back).
//! The measure gives the planned release day (the last day of its centralised stages) and the
//! release criteria (its tests and health checks up to that day). A stay's scope is its
//! site's community.
//!
//! Invariant exception (like tracing's masked briefs): the staff of a site read the tests and
//! health checks of the measure of a person staying there even when the person lives in
//! another county; they look after that person.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fangkong_allocation::{Person as AllocPerson, Plan, Room as AllocRoom, Site as AllocSite};
use fangkong_domain::isolation::{CHILD_AGE, DISABILITY_TAG, ELDERLY_AGE};
use fangkong_domain::policy::StageKind;
use fangkong_domain::{BedType, Permission, RoomStatus, Scope, Severity};
use fangkong_store::isolation::{
    NewStay, QueueRow, RoomRow, SiteRow, Stay, StayFilter, TransferToHospital,
};
use fangkong_store::treatment::Deployment;
use serde_json::json;

use crate::measures::{decode_plan, Blocker, MeasureView};
use crate::{Actor, App, Error, Result};

/// The most people the queue page and one proposal take.
pub const QUEUE_LIMIT: i64 = 20_000;

/// A room with its status at a moment.
#[derive(Debug, Clone)]
pub struct RoomView {
    pub room: RoomRow,
    pub status: RoomStatus,
    /// When a room being cleaned is ready again.
    pub ready_at: Option<i64>,
}

/// The status of a room at `now_ms`: occupied while someone holds a bed, out of service while
/// flagged, cleaning until the turnaround after the last check-out has passed, free otherwise.
pub fn room_status(room: &RoomRow, now_ms: i64) -> RoomStatus {
    if room.occupants > 0 {
        RoomStatus::Occupied
    } else if room.out_of_service_reason.is_some() {
        RoomStatus::OutOfService
    } else if room.clean_at().is_some_and(|t| t > now_ms) {
        RoomStatus::Cleaning
    } else {
        RoomStatus::Free
    }
}

/// A site with its rooms, open stays and the teams on duty today.
#[derive(Debug, Clone)]
pub struct SiteDetail {
    pub site: SiteRow,
    pub rooms: Vec<RoomView>,
    pub stays: Vec<Stay>,
    pub on_duty: Vec<Deployment>,
}

/// A person waiting for a room.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub row: QueueRow,
    pub age: u32,
    pub elderly: bool,
    pub child: bool,
    pub disability: bool,
    /// The household key the allocator uses (household id, or minus the person id).
    pub household_key: i64,
    /// The first and last day of the centralised stage(s).
    pub centralised_from: NaiveDate,
    pub centralised_to: NaiveDate,
}

/// One proposed placement.
#[derive(Debug, Clone)]
pub struct ProposedPlacement {
    pub measure_id: i64,
    pub person_id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub room_id: i64,
    pub room_number: String,
    pub distance_km: f64,
    pub notes_zh: Vec<String>,
    pub notes_en: Vec<String>,
}

/// Someone the proposal could not place.
#[derive(Debug, Clone)]
pub struct ProposedUnplaced {
    pub measure_id: i64,
    pub person_id: i64,
    pub reason_zh: String,
    pub reason_en: String,
}

/// An allocation proposal: nothing is stored until staff commit it (as is, or overridden).
#[derive(Debug, Clone)]
pub struct Proposal {
    pub placements: Vec<ProposedPlacement>,
    pub unplaced: Vec<ProposedUnplaced>,
    pub households: usize,
    pub split_households: usize,
    pub free_rooms: usize,
}

/// A placement to commit: the measure's person into a room. A room other than the
/// proposal's needs `override_reason`.
#[derive(Debug, Clone)]
pub struct PlacementInput {
    pub measure_id: i64,
    pub room_id: i64,
    pub override_reason: Option<String>,
}

/// A stay with the release picture worked out for today.
#[derive(Debug, Clone)]
pub struct StayView {
    pub stay: Stay,
    /// The measure (tests, health checks) the stay serves.
    pub measure: MeasureView,
    /// Empty when the stay may be released now.
    pub blockers: Vec<Blocker>,
    /// Whether releasing the stay also releases the measure (no stage after the centralised
    /// one).
    pub ends_measure: bool,
}

/// An early transfer from a site to a designated hospital.
#[derive(Debug, Clone)]
pub struct TransferInput {
    pub hospital_id: i64,
    pub bed_type: String,
    pub severity: String,
    pub note: String,
}

/// A quarantine site to set up (a requisitioned hotel, a purpose-built site or a makeshift
/// hospital) with its rooms.
#[derive(Debug, Clone)]
pub struct SiteInput {
    pub name: String,
    /// `hotel`, `centralized` or `makeshift`.
    pub kind: String,
    pub community_code: String,
    pub lon: f64,
    pub lat: f64,
    pub turnaround_hours: i64,
    /// Number, beds, accessible.
    pub rooms: Vec<(String, i64, bool)>,
}

/// The first and last day of the centralised stages of a plan starting on `starts_on`, when it
/// has one.
pub fn centralised_days(
    plan: &fangkong_domain::policy::Measure,
    starts_on: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let mut offset = 0i64;
    let mut span: Option<(NaiveDate, NaiveDate)> = None;
    for s in &plan.stages {
        let days = i64::from(s.days);
        if s.kind == StageKind::CentralisedQuarantine && days > 0 {
            let from = starts_on + Duration::days(offset);
            let to = starts_on + Duration::days(offset + days - 1);
            span = Some(span.map_or((from, to), |(f, _)| (f, to)));
        }
        offset += days;
    }
    span
}

/// Whether a plan has a stage after its last centralised one.
fn stage_after_centralised(plan: &fangkong_domain::policy::Measure) -> bool {
    let last = plan
        .stages
        .iter()
        .rposition(|s| s.kind == StageKind::CentralisedQuarantine);
    last.is_some_and(|i| plan.stages[i + 1..].iter().any(|s| s.days > 0))
}

fn age_on(birth_date: &str, today: NaiveDate) -> u32 {
    NaiveDate::parse_from_str(birth_date, "%Y-%m-%d")
        .ok()
        .and_then(|b| today.years_since(b))
        .unwrap_or(0)
}

pub(crate) fn china_day_of(ms: i64) -> NaiveDate {
    crate::clock::china_date(DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default())
}

/// A read scope over everything with one permission: the measure of a person staying at a
/// site of the actor's (see the module's invariant exception).
fn measure_reader(actor: &Actor) -> Actor {
    Actor {
        scope: Scope {
            root: None,
            permissions: [Permission::InboundRead].into_iter().collect(),
        },
        ..actor.clone()
    }
}

impl App {
    /// The quarantine sites inside the actor's jurisdiction with their room counts now.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`.
    pub async fn isolation_sites(&self, actor: &Actor) -> Result<Vec<SiteRow>> {
        actor.require(Permission::IsolationRead)?;
        Ok(self
            .store()
            .isolation()
            .sites(&actor.scope, self.now_ms())
            .await?)
    }

    /// A site with its rooms (status now), open stays and the teams on duty today.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`; `NotFound` outside the jurisdiction.
    pub async fn isolation_site(&self, actor: &Actor, id: i64) -> Result<SiteDetail> {
        actor.require(Permission::IsolationRead)?;
        let now = self.now_ms();
        let store = self.store().isolation();
        let site = store.site(&actor.scope, id, now).await?;
        let rooms = store
            .rooms(id)
            .await?
            .into_iter()
            .map(|room| RoomView {
                status: room_status(&room, now),
                ready_at: room.clean_at().filter(|t| *t > now && room.occupants == 0),
                room,
            })
            .collect();
        let stays = store
            .stays(
                &actor.scope,
                &StayFilter {
                    site: Some(id),
                    open_only: true,
                    limit: 5_000,
                },
            )
            .await?;
        let today = self.today().to_string();
        let on_duty = self
            .store()
            .treatment()
            .deployments(&Scope::system(), &today, &today)
            .await?
            .into_iter()
            .filter(|d| d.facility_id == id)
            .collect();
        Ok(SiteDetail {
            site,
            rooms,
            stays,
            on_duty,
        })
    }

    /// Sets up a quarantine site inside the actor's jurisdiction with its rooms, all or
    /// nothing. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate` or for a community outside the jurisdiction;
    /// `Invalid` naming each bad field (name, kind, an unknown community, coordinates outside
    /// China, turnaround
    /// outside 0–168 hours, no room, a room number empty or given twice, beds outside 1–20);
    /// `Conflict` when the store refuses.
    pub async fn create_site(&self, actor: &Actor, input: &SiteInput) -> Result<SiteRow> {
        actor.require(Permission::IsolationOperate)?;
        let mut invalid = Vec::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            invalid.push((
                "name".to_string(),
                "must be 1 to 100 characters".to_string(),
            ));
        }
        let kind = fangkong_domain::SiteKind::parse(input.kind.trim());
        if kind.is_none() {
            invalid.push((
                "kind".to_string(),
                format!("must be one of {}", fangkong_domain::SiteKind::keys()),
            ));
        }
        let code = input.community_code.trim();
        let community = fangkong_domain::JurisdictionCode::parse(code)
            .ok()
            .filter(|c| c.level() == fangkong_domain::Level::Community);
        if community.is_some() && !actor.scope.covers(code) {
            // A site outside the jurisdiction is not the actor's to set up.
            return Err(Error::Forbidden);
        }
        if community.is_none() {
            invalid.push((
                "community_code".to_string(),
                "must be a 12-digit community code".to_string(),
            ));
        } else if self.store().jurisdictions().get(code).await.is_err() {
            invalid.push((
                "community_code".to_string(),
                "unknown community".to_string(),
            ));
        }
        if !(73.0..=136.0).contains(&input.lon) || !(3.0..=54.0).contains(&input.lat) {
            invalid.push((
                "lon".to_string(),
                "longitude and latitude must lie in China".to_string(),
            ));
        }
        if !(0..=168).contains(&input.turnaround_hours) {
            invalid.push((
                "turnaround_hours".to_string(),
                "must be 0 to 168".to_string(),
            ));
        }
        if input.rooms.is_empty() {
            invalid.push((
                "rooms".to_string(),
                "a site has at least one room".to_string(),
            ));
        }
        let mut numbers = std::collections::HashSet::new();
        for (i, (number, beds, _)) in input.rooms.iter().enumerate() {
            let number = number.trim();
            if number.is_empty() || number.chars().count() > 20 {
                invalid.push((
                    format!("rooms[{i}].number"),
                    "must be 1 to 20 characters".to_string(),
                ));
            } else if !numbers.insert(number) {
                invalid.push((
                    format!("rooms[{i}].number"),
                    format!("{number} is given twice"),
                ));
            }
            if !(1..=20).contains(beds) {
                invalid.push((format!("rooms[{i}].beds"), "must be 1 to 20".to_string()));
            }
        }
        let Some(kind) = kind.filter(|_| invalid.is_empty()) else {
            return Err(Error::Invalid(invalid));
        };
        let rooms: Vec<(String, i64, bool)> = input
            .rooms
            .iter()
            .map(|(n, b, a)| (n.trim().to_string(), *b, *a))
            .collect();
        let id = self
            .store()
            .isolation()
            .create_site(&fangkong_store::isolation::NewSite {
                name,
                kind: kind.as_str(),
                community_code: code,
                lon: input.lon,
                lat: input.lat,
                turnaround_hours: input.turnaround_hours,
                rooms: &rooms,
            })
            .await?;
        self.audit(
            actor,
            "isolation.site_create",
            "facility",
            Some(id.to_string()),
            None,
            json!({ "name": name, "kind": kind.as_str(), "rooms": rooms.len() }),
        )
        .await?;
        Ok(self
            .store()
            .isolation()
            .site(&actor.scope, id, self.now_ms())
            .await?)
    }

    /// Records the daily health check of a person staying at a site (by the site's staff) in
    /// the measure the stay serves. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `NotFound` outside the jurisdiction;
    /// `Conflict` unless the person is checked in; `Invalid` as for any health check
    /// (temperature, symptoms, day).
    pub async fn stay_health_check(
        &self,
        actor: &Actor,
        id: i64,
        day: Option<NaiveDate>,
        temperature: f64,
        symptoms: &[String],
    ) -> Result<StayView> {
        actor.require(Permission::IsolationOperate)?;
        let stay = self.store().isolation().stay(&actor.scope, id).await?;
        if stay.status != "in" {
            return Err(Error::Conflict(format!(
                "stay {id} is {}, not checked in",
                stay.status
            )));
        }
        let reader = measure_reader(actor);
        let m = self
            .store()
            .measures()
            .measure(&reader.scope, stay.measure_id)
            .await?;
        self.store_check(&m, day, temperature, symptoms, "staff", &actor.label())
            .await?;
        self.audit(
            actor,
            "isolation.health_check",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "measure": m.id, "temperature": temperature }),
        )
        .await?;
        self.stay_detail(actor, id).await
    }

    /// Takes an empty room out of service (with the reason) or back into service (`None`).
    /// Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `NotFound` for a room outside the
    /// jurisdiction; `Invalid` for an empty or long reason; `Conflict` for an occupied room.
    pub async fn set_room_service(
        &self,
        actor: &Actor,
        room_id: i64,
        reason: Option<&str>,
    ) -> Result<RoomView> {
        actor.require(Permission::IsolationOperate)?;
        let reason = reason.map(str::trim);
        if let Some(r) = reason {
            if r.is_empty() || r.chars().count() > 200 {
                return Err(Error::invalid("reason", "must be 1 to 200 characters"));
            }
        }
        let store = self.store().isolation();
        let room = store.room(room_id).await?;
        store
            .site(&actor.scope, room.facility_id, self.now_ms())
            .await?;
        store.set_out_of_service(room_id, reason).await?;
        self.audit(
            actor,
            "isolation.room_service",
            "room",
            Some(room_id.to_string()),
            None,
            json!({ "site": room.facility_id, "out_of_service": reason }),
        )
        .await?;
        let room = store.room(room_id).await?;
        Ok(RoomView {
            status: room_status(&room, self.now_ms()),
            ready_at: None,
            room,
        })
    }

    /// Sets a site's turnaround rule (hours of cleaning after a check-out). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `NotFound` outside the jurisdiction;
    /// `Invalid` outside 0–168 hours.
    pub async fn set_site_turnaround(&self, actor: &Actor, id: i64, hours: i64) -> Result<SiteRow> {
        actor.require(Permission::IsolationOperate)?;
        if !(0..=168).contains(&hours) {
            return Err(Error::invalid("turnaround_hours", "must be 0 to 168"));
        }
        let store = self.store().isolation();
        store.site(&actor.scope, id, self.now_ms()).await?;
        store.set_turnaround(id, hours).await?;
        self.audit(
            actor,
            "isolation.site_turnaround",
            "facility",
            Some(id.to_string()),
            None,
            json!({ "turnaround_hours": hours }),
        )
        .await?;
        Ok(store.site(&actor.scope, id, self.now_ms()).await?)
    }

    /// The people of the actor's jurisdiction waiting for a room, oldest measure first; a
    /// person under two measures with a centralised stage waits once, for the one ending
    /// later.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`.
    pub async fn placement_queue(&self, actor: &Actor) -> Result<Vec<QueueEntry>> {
        actor.require(Permission::IsolationRead)?;
        let today = self.today();
        let rows = self
            .store()
            .isolation()
            .queue(&actor.scope, QUEUE_LIMIT)
            .await?;
        let mut out: Vec<QueueEntry> = Vec::with_capacity(rows.len());
        let mut at: HashMap<i64, usize> = HashMap::new();
        for row in rows {
            let plan = decode_plan(&row.stages, &row.test_days)?;
            let starts_on = crate::measures::parse_day(&row.starts_on)?;
            let Some((from, to)) = centralised_days(&plan, starts_on) else {
                continue;
            };
            if to < today {
                continue;
            }
            let age = age_on(&row.birth_date, today);
            let disability = serde_json::from_str::<Vec<String>>(&row.tags)
                .unwrap_or_default()
                .iter()
                .any(|t| t == DISABILITY_TAG);
            // One entry a person: of two measures that both quarantine, the one whose
            // centralised stage ends later.
            if let Some(&i) = at.get(&row.person_id) {
                let earlier: &QueueEntry = &out[i];
                if earlier.centralised_to >= to {
                    continue;
                }
                out[i].row.measure_id = -1;
            }
            at.insert(row.person_id, out.len());
            out.push(QueueEntry {
                household_key: row.household_id.unwrap_or(-row.person_id),
                age,
                elderly: age >= ELDERLY_AGE,
                child: age < CHILD_AGE,
                disability,
                centralised_from: from,
                centralised_to: to,
                row,
            });
        }
        // Entries replaced by a later-ending measure of the same person were marked.
        out.retain(|q| q.row.measure_id >= 0);
        Ok(out)
    }

    /// Proposes rooms for the queue (or the given measures of it) over the free rooms of the
    /// sites inside the actor's jurisdiction, with the allocator's reasons. Nothing is stored.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`; `Invalid` for a measure not in the queue.
    pub async fn propose_placement(
        &self,
        actor: &Actor,
        measure_ids: Option<&[i64]>,
    ) -> Result<Proposal> {
        actor.require(Permission::IsolationRead)?;
        let queue = self.selected_queue(actor, measure_ids).await?;
        let (sites, names, free_rooms) = self.free_sites(&actor.scope).await?;
        let people = alloc_people(&queue);
        let plan = fangkong_allocation::allocate(&sites, &people);
        Ok(proposal_of(&plan, &queue, &names, free_rooms))
    }

    async fn selected_queue(
        &self,
        actor: &Actor,
        measure_ids: Option<&[i64]>,
    ) -> Result<Vec<QueueEntry>> {
        let queue = self.placement_queue(actor).await?;
        let Some(ids) = measure_ids else {
            return Ok(queue);
        };
        let by_measure: HashMap<i64, &QueueEntry> =
            queue.iter().map(|q| (q.row.measure_id, q)).collect();
        let mut missing = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if by_measure.contains_key(id) {
                continue;
            }
            // A measure outside the jurisdiction is not found, as everywhere.
            self.store().measures().measure(&actor.scope, *id).await?;
            missing.push((
                format!("measure_ids[{i}]"),
                format!("measure {id} is not waiting for a room"),
            ));
        }
        if !missing.is_empty() {
            return Err(Error::Invalid(missing));
        }
        Ok(ids.iter().map(|id| by_measure[id].clone()).collect())
    }

    /// The free rooms of the sites in the scope, as the allocator's sites, with site and room
    /// names and the number of free rooms.
    async fn free_sites(&self, scope: &Scope) -> Result<(Vec<AllocSite>, Names, usize)> {
        let now = self.now_ms();
        let store = self.store().isolation();
        let site_rows = store.sites(scope, now).await?;
        let rooms = store.free_rooms(scope, now).await?;
        let free_rooms = rooms.len();
        let mut by_site: BTreeMap<i64, Vec<AllocRoom>> = BTreeMap::new();
        let mut names = Names::default();
        for r in rooms {
            names.rooms.insert(r.id, (r.facility_id, r.number.clone()));
            by_site.entry(r.facility_id).or_default().push(AllocRoom {
                id: r.id,
                beds: u32::try_from(r.beds).unwrap_or(0),
                accessible: r.accessible,
            });
        }
        let mut sites = Vec::new();
        for s in site_rows {
            names.sites.insert(s.id, s.name.clone());
            let (Some(lon), Some(lat)) = (s.lon, s.lat) else {
                continue;
            };
            sites.push(AllocSite {
                id: s.id,
                lon,
                lat,
                rooms: by_site.remove(&s.id).unwrap_or_default(),
            });
        }
        Ok((sites, names, free_rooms))
    }

    /// Places people into rooms, all or nothing: each placement is the proposal's room
    /// (explained by the allocator's reasons) or another one with the staff's reason (an
    /// override). `proposed_for` names the measures the proposal was made for when only some
    /// of its rows are committed (by default, the committed ones). The allocator's rules are checked on the whole batch (capacity, one
    /// household a room, children with an adult); the database refuses a room that is full,
    /// held by another household, out of service or being cleaned. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `Invalid` naming each bad placement (not in
    /// the queue, a room outside the free rooms, a room other than the proposal's without a
    /// reason, a rule broken); `Conflict` when a room was taken meanwhile or a person is
    /// already placed (nothing stored).
    pub async fn place(
        &self,
        actor: &Actor,
        input: &[PlacementInput],
        proposed_for: Option<&[i64]>,
    ) -> Result<Vec<Stay>> {
        actor.require(Permission::IsolationOperate)?;
        if input.is_empty() {
            return Err(Error::invalid("placements", "must not be empty"));
        }
        let ids: Vec<i64> = input.iter().map(|p| p.measure_id).collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(**id)) {
            return Err(Error::invalid(
                "placements",
                format!("measure {dup} is placed twice"),
            ));
        }
        // The proposal is made again for the people it was made for (the same input gives
        // the same plan), so committing part of a table keeps the rooms staff saw.
        let planned_for: Vec<i64> = match proposed_for {
            Some(all) => {
                let all_set: std::collections::HashSet<i64> = all.iter().copied().collect();
                if let Some(m) = ids.iter().find(|m| !all_set.contains(m)) {
                    return Err(Error::invalid(
                        "proposed_for",
                        format!("measure {m} is placed but was not in the proposal"),
                    ));
                }
                let mut unique = std::collections::HashSet::new();
                all.iter().copied().filter(|m| unique.insert(*m)).collect()
            }
            None => ids.clone(),
        };
        let planned_queue = self.selected_queue(actor, Some(&planned_for)).await?;
        let (sites, names, _) = self.free_sites(&actor.scope).await?;
        let plan = fangkong_allocation::allocate(&sites, &alloc_people(&planned_queue));
        let proposal = proposal_of(&plan, &planned_queue, &names, 0);
        let by_measure: HashMap<i64, &QueueEntry> = planned_queue
            .iter()
            .map(|q| (q.row.measure_id, q))
            .collect();
        let queue: Vec<QueueEntry> = ids.iter().map(|m| by_measure[m].clone()).collect();
        let people = alloc_people(&queue);
        let proposed: HashMap<i64, &ProposedPlacement> = proposal
            .placements
            .iter()
            .map(|p| (p.measure_id, p))
            .collect();
        let mut invalid = Vec::new();
        let mut explanations = Vec::with_capacity(input.len());
        for (i, p) in input.iter().enumerate() {
            let field = format!("placements[{i}]");
            if !names.rooms.contains_key(&p.room_id) {
                invalid.push((
                    field,
                    format!("room {} is not a free room of your sites", p.room_id),
                ));
                explanations.push((String::new(), false));
                continue;
            }
            let reason = p
                .override_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            match (proposed.get(&p.measure_id), reason) {
                (_, Some(r)) => explanations.push((json!({ "override": r }).to_string(), true)),
                (Some(pp), None) if pp.room_id == p.room_id => explanations.push((
                    json!({ "zh": pp.notes_zh, "en": pp.notes_en }).to_string(),
                    false,
                )),
                _ => {
                    invalid.push((
                        field,
                        "the room differs from the proposal: give override_reason".to_string(),
                    ));
                    explanations.push((String::new(), false));
                }
            }
        }
        let assignments: Vec<(i64, i64)> = input
            .iter()
            .zip(&queue)
            .map(|(p, q)| (q.row.person_id, p.room_id))
            .collect();
        // The rules are checked on rooms known to be free (an unknown room is named above).
        if input.iter().all(|p| names.rooms.contains_key(&p.room_id)) {
            for v in fangkong_allocation::validate(&sites, &people, &assignments) {
                invalid.push(("placements".to_string(), v.text_en()));
            }
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let planned: Vec<String> = queue.iter().map(|q| q.centralised_to.to_string()).collect();
        let stays: Vec<NewStay<'_>> = input
            .iter()
            .zip(&queue)
            .zip(&explanations)
            .zip(&planned)
            .map(|(((p, q), (explanation, overridden)), planned)| NewStay {
                person_id: q.row.person_id,
                measure_id: q.row.measure_id,
                room_id: p.room_id,
                household_key: q.household_key,
                planned_release_on: planned,
                explanation,
                overridden: *overridden,
            })
            .collect();
        let store = self.store().isolation();
        let ids = store.place(&stays, &actor.label(), self.now_ms()).await?;
        self.audit(
            actor,
            "isolation.place",
            "stay",
            None,
            None,
            json!({
                "stays": ids,
                "overridden": explanations.iter().filter(|(_, o)| *o).count(),
            }),
        )
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(store.stay(&Scope::system(), id).await?);
        }
        Ok(out)
    }

    /// Stays at the sites inside the actor's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`.
    pub async fn stays(&self, actor: &Actor, filter: &StayFilter) -> Result<Vec<Stay>> {
        actor.require(Permission::IsolationRead)?;
        Ok(self.store().isolation().stays(&actor.scope, filter).await?)
    }

    /// A stay with its measure's tests and health checks and what still blocks its release:
    /// the planned release day (the last centralised day) not reached, a test due up to that
    /// day not negative, no health check on that day or later, fever or symptoms in it.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`; `NotFound` outside the jurisdiction.
    pub async fn stay_detail(&self, actor: &Actor, id: i64) -> Result<StayView> {
        actor.require(Permission::IsolationRead)?;
        let stay = self.store().isolation().stay(&actor.scope, id).await?;
        let measure = self
            .measure(&measure_reader(actor), stay.measure_id)
            .await?;
        let until = crate::measures::parse_day(&stay.planned_release_on)?;
        let mut blockers = Vec::new();
        if stay.status != "in" {
            blockers.push(Blocker::NotActive {
                status: format!("stay {}", stay.status),
            });
        }
        blockers.extend(crate::measures::blockers_until(
            &measure.measure.status,
            &measure.tests,
            &measure.checks,
            until,
            self.today(),
        )?);
        let ends_measure = !stage_after_centralised(&measure.plan);
        Ok(StayView {
            stay,
            measure,
            blockers,
            ends_measure,
        })
    }

    /// Checks a placed person in; an assigned measure becomes active (the person is now
    /// under it). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `NotFound` outside the jurisdiction;
    /// `Conflict` unless the stay is placed (a second check-in is refused).
    pub async fn check_in(&self, actor: &Actor, id: i64) -> Result<StayView> {
        actor.require(Permission::IsolationOperate)?;
        let now = self.now_ms();
        let stay = self
            .store()
            .isolation()
            .check_in(&actor.scope, id, now)
            .await?;
        let measures = self.store().measures();
        let reader = measure_reader(actor);
        let m = measures.measure(&reader.scope, stay.measure_id).await?;
        if m.status == "assigned" {
            measures
                .set_status(
                    &reader.scope,
                    m.id,
                    &["assigned"],
                    "active",
                    now,
                    None,
                    &actor.label(),
                )
                .await?;
        }
        self.audit(
            actor,
            "isolation.check_in",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "site": stay.facility_id, "room": stay.room_number }),
        )
        .await?;
        self.stay_detail(actor, id).await
    }

    /// Cancels a placement before check-in with the reason; the person returns to the queue.
    /// Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `Invalid` for an empty reason; `NotFound`
    /// outside the jurisdiction; `Conflict` unless the stay is placed.
    pub async fn cancel_placement(&self, actor: &Actor, id: i64, reason: &str) -> Result<Stay> {
        actor.require(Permission::IsolationOperate)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "must not be empty"));
        }
        let stay = self
            .store()
            .isolation()
            .check_out(
                &actor.scope,
                id,
                "cancelled",
                Some(reason),
                None,
                false,
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "isolation.cancel",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "reason": reason }),
        )
        .await?;
        Ok(stay)
    }

    /// Releases a checked-in person whose criteria all hold, with a certificate number; the
    /// room goes to cleaning; the measure is released too when the centralised stage was its
    /// last (otherwise it goes on at home). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `NotFound` outside the jurisdiction;
    /// `Conflict` listing every unmet criterion.
    pub async fn release_stay(&self, actor: &Actor, id: i64) -> Result<StayView> {
        actor.require(Permission::IsolationOperate)?;
        let view = self.stay_detail(actor, id).await?;
        if !view.blockers.is_empty() {
            return Err(Blocker::refusal(&format!("stay {id}"), &view.blockers));
        }
        let now = self.now_ms();
        let certificate = certificate_no(&view.stay, self.today());
        self.store()
            .isolation()
            .check_out(
                &actor.scope,
                id,
                "released",
                None,
                Some(&certificate),
                view.ends_measure,
                &actor.label(),
                now,
            )
            .await?;
        self.audit(
            actor,
            "isolation.release",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "certificate": certificate, "measure_released": view.ends_measure }),
        )
        .await?;
        self.stay_detail(actor, id).await
    }

    /// Transfers a checked-in person early to a designated hospital: the stay closes, the
    /// room goes to cleaning, an admission opens in a bed of the type asked for (refused when
    /// that ward is full; nothing changes then), and the measure is escalated. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.operate`; `Invalid` for an unknown bed type, severity,
    /// a hospital that is not designated or an empty note; `NotFound` outside the
    /// jurisdiction; `Conflict` for a stay not checked in or a full ward.
    pub async fn transfer_stay(
        &self,
        actor: &Actor,
        id: i64,
        input: &TransferInput,
    ) -> Result<(Stay, i64)> {
        actor.require(Permission::IsolationOperate)?;
        let mut invalid = Vec::new();
        let bed = BedType::parse(input.bed_type.trim());
        if bed.is_none() {
            invalid.push((
                "bed_type".to_string(),
                format!("must be one of {}", BedType::keys()),
            ));
        }
        let severity = Severity::parse(input.severity.trim());
        if severity.is_none() {
            invalid.push((
                "severity".to_string(),
                format!("must be one of {}", Severity::keys()),
            ));
        }
        let note = input.note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            invalid.push((
                "note".to_string(),
                "must be 1 to 500 characters".to_string(),
            ));
        }
        let hospital = match self.store().treatment().hospital(input.hospital_id).await {
            Ok(h) if h.subtype == "designated" => Some(h),
            Ok(_) => {
                invalid.push((
                    "hospital_id".to_string(),
                    "is not a designated hospital".to_string(),
                ));
                None
            }
            Err(fangkong_store::StoreError::NotFound) => {
                invalid.push(("hospital_id".to_string(), "no such hospital".to_string()));
                None
            }
            Err(e) => return Err(e.into()),
        };
        let (Some(bed), Some(severity), Some(hospital), true) =
            (bed, severity, hospital, invalid.is_empty())
        else {
            return Err(Error::Invalid(invalid));
        };
        let stay = self.store().isolation().stay(&actor.scope, id).await?;
        let case_id = self
            .store()
            .tracing()
            .case_of_person(stay.person_id)
            .await?;
        let now = self.now_ms();
        let admission = self
            .store()
            .isolation()
            .transfer_to_hospital(
                &actor.scope,
                id,
                &TransferToHospital {
                    hospital_id: hospital.id,
                    bed_type: bed.as_str(),
                    severity: severity.as_str(),
                    case_id,
                    note,
                },
                &actor.label(),
                now,
            )
            .await?;
        let reader = measure_reader(actor);
        self.store()
            .measures()
            .set_status(
                &reader.scope,
                stay.measure_id,
                &["assigned", "active"],
                "escalated",
                now,
                Some(&format!(
                    "transferred to hospital {}: {note}",
                    hospital.name
                )),
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            "isolation.transfer",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "admission": admission, "hospital": hospital.id, "bed_type": bed.as_str() }),
        )
        .await?;
        let stay = self.store().isolation().stay(&actor.scope, id).await?;
        Ok((stay, admission))
    }

    /// The release certificate of a released stay (printable). Audited as a disclosure.
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`; `NotFound` outside the jurisdiction; `Conflict`
    /// unless the stay was released.
    pub async fn release_certificate(&self, actor: &Actor, id: i64) -> Result<StayView> {
        let view = self.stay_detail(actor, id).await?;
        if view.stay.outcome.as_deref() != Some("released") {
            return Err(Error::Conflict(format!("stay {id} was not released")));
        }
        self.audit(
            actor,
            "isolation.certificate",
            "stay",
            Some(id.to_string()),
            None,
            json!({ "certificate": view.stay.certificate_no }),
        )
        .await?;
        Ok(view)
    }

    /// Rooms over the next 14 days at the sites inside the actor's jurisdiction: see
    /// [`crate::forecast`].
    ///
    /// # Errors
    /// `Forbidden` without `isolation.read`.
    pub async fn isolation_forecast(&self, actor: &Actor) -> Result<crate::forecast::PoolForecast> {
        actor.require(Permission::IsolationRead)?;
        let now = self.now_ms();
        let today = self.today();
        let store = self.store().isolation();
        let sites = store.sites(&actor.scope, now).await?;
        let capacity: i64 = sites.iter().map(|s| s.rooms - s.out_of_service).sum();
        let occupied: i64 = sites.iter().map(|s| s.occupied).sum();
        let cleaning: i64 = sites.iter().map(|s| s.cleaning).sum();
        let open = store
            .stays(
                &actor.scope,
                &StayFilter {
                    site: None,
                    open_only: true,
                    limit: i64::MAX,
                },
            )
            .await?;
        // A room frees on the day after the last planned release of the people in it.
        let mut room_release: HashMap<i64, NaiveDate> = HashMap::new();
        for s in &open {
            let day = crate::measures::parse_day(&s.planned_release_on)?;
            let e = room_release.entry(s.room_id).or_insert(day);
            *e = (*e).max(day);
        }
        let history_from = today - Duration::days(crate::forecast::HISTORY_DAYS);
        let since = crate::clock::china_midnight_ms(history_from);
        let placed = store.placements_since(&actor.scope, since).await?;
        // Inflow in rooms: rooms newly taken per day (a household shares one).
        let mut taken: BTreeMap<NaiveDate, std::collections::HashSet<i64>> = BTreeMap::new();
        let mut lengths = Vec::new();
        for (room, at, planned) in &placed {
            let day = china_day_of(*at);
            taken.entry(day).or_default().insert(*room);
            let planned = crate::measures::parse_day(planned)?;
            lengths.push((planned - day).num_days() + 1);
        }
        let history: Vec<u32> = (0..crate::forecast::HISTORY_DAYS)
            .map(|k| {
                let d = history_from + Duration::days(k);
                taken
                    .get(&d)
                    .map_or(0, |s| u32::try_from(s.len()).unwrap_or(u32::MAX))
            })
            .collect();
        let turnaround_hours = sites.iter().map(|s| s.turnaround_hours).max().unwrap_or(24);
        // A fresh scenario forecast gives the arrivals: its people entering quarantine, a
        // room per household (people per occupied room today, or one).
        let per_room = {
            let (people, rooms) = sites
                .iter()
                .fold((0, 0), |(p, r), s| (p + s.occupants, r + s.occupied));
            if rooms > 0 {
                people as f64 / rooms as f64
            } else {
                1.0
            }
        };
        let scenario = self
            .scenario_series(actor, |m| m.quarantine_entries.clone())
            .await?;
        let scenario = scenario.map(|(id, v)| (id, v.iter().map(|x| x / per_room).collect()));
        crate::forecast::pool(crate::forecast::PoolFacts {
            pool: "rooms".to_string(),
            today,
            capacity,
            occupied,
            cleaning,
            releases: room_release
                .into_values()
                .map(|d| d + Duration::days(1))
                .collect(),
            history,
            length_of_stay: median_days(&mut lengths)
                .unwrap_or(crate::forecast::DEFAULT_QUARANTINE_DAYS),
            turnaround_days: u32::try_from((turnaround_hours + 23) / 24).unwrap_or(1),
            scenario,
        })
    }
}

/// The median of day counts (the upper median of an even count).
pub(crate) fn median_days(values: &mut [i64]) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    u32::try_from(values[values.len() / 2].max(1)).ok()
}

/// A release certificate number: year, site and stay (`JC2026-0012-000345`).
pub fn certificate_no(stay: &Stay, today: NaiveDate) -> String {
    format!(
        "JC{}-{:04}-{:06}",
        today.format("%Y"),
        stay.facility_id,
        stay.id
    )
}

/// Names of sites and of free rooms (room → site, number).
#[derive(Debug, Default)]
struct Names {
    sites: HashMap<i64, String>,
    rooms: HashMap<i64, (i64, String)>,
}

fn alloc_people(queue: &[QueueEntry]) -> Vec<AllocPerson> {
    queue
        .iter()
        .map(|q| AllocPerson {
            id: q.row.person_id,
            household: q.household_key,
            age: q.age,
            disability: q.disability,
            lon: q.row.lon.unwrap_or(0.0),
            lat: q.row.lat.unwrap_or(0.0),
        })
        .collect()
}

fn proposal_of(plan: &Plan, queue: &[QueueEntry], names: &Names, free_rooms: usize) -> Proposal {
    let measure_of: HashMap<i64, i64> = queue
        .iter()
        .map(|q| (q.row.person_id, q.row.measure_id))
        .collect();
    let mut notes: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
    let mut split = 0;
    for g in &plan.groups {
        let zh: Vec<String> = g.notes.iter().map(|n| n.text_zh()).collect();
        let en: Vec<String> = g.notes.iter().map(|n| n.text_en()).collect();
        if g.notes
            .iter()
            .any(|n| matches!(n, fangkong_allocation::Note::HouseholdSplit { .. }))
        {
            split += 1;
        }
        for p in &g.person_ids {
            notes.insert(*p, (zh.clone(), en.clone()));
        }
    }
    let placements = plan
        .placements
        .iter()
        .map(|p| {
            let (zh, en) = notes.remove(&p.person_id).unwrap_or_default();
            let room = names.rooms.get(&p.room_id);
            ProposedPlacement {
                measure_id: measure_of.get(&p.person_id).copied().unwrap_or_default(),
                person_id: p.person_id,
                site_id: p.site_id,
                site_name: names.sites.get(&p.site_id).cloned().unwrap_or_default(),
                room_id: p.room_id,
                room_number: room.map(|r| r.1.clone()).unwrap_or_default(),
                distance_km: p.distance_km,
                notes_zh: zh,
                notes_en: en,
            }
        })
        .collect();
    let unplaced = plan
        .unplaced
        .iter()
        .map(|u| ProposedUnplaced {
            measure_id: measure_of.get(&u.person_id).copied().unwrap_or_default(),
            person_id: u.person_id,
            reason_zh: u.reason.text_zh(),
            reason_en: u.reason.text_en(),
        })
        .collect();
    Proposal {
        placements,
        unplaced,
        households: plan.groups.len(),
        split_households: split,
        free_rooms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_domain::policy::{Measure, Stage};

    fn plan(stages: &[(StageKind, u32)]) -> Measure {
        Measure {
            stages: stages
                .iter()
                .map(|(kind, days)| Stage {
                    kind: *kind,
                    days: *days,
                })
                .collect(),
            test_days: vec![],
        }
    }

    #[test]
    fn centralised_span_and_following_stage() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let p = plan(&[
            (StageKind::CentralisedQuarantine, 7),
            (StageKind::HomeQuarantine, 3),
        ]);
        assert_eq!(
            centralised_days(&p, start),
            Some((
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
            ))
        );
        assert!(stage_after_centralised(&p));
        let only = plan(&[(StageKind::CentralisedQuarantine, 14)]);
        assert!(!stage_after_centralised(&only));
        let home = plan(&[(StageKind::HomeQuarantine, 7)]);
        assert_eq!(centralised_days(&home, start), None);
    }

    #[test]
    fn ages_on_a_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(age_on("1966-11-30", today), 60);
        assert_eq!(age_on("1966-12-01", today), 59);
        assert_eq!(median_days(&mut [14, 7, 10]), Some(10));
        assert_eq!(median_days(&mut []), None);
    }

    #[test]
    fn statuses() {
        let mut r = RoomRow {
            id: 1,
            facility_id: 1,
            number: "101".into(),
            beds: 2,
            accessible: false,
            occupants: 0,
            household_key: None,
            vacated_at: Some(0),
            out_of_service_reason: None,
            turnaround_hours: 24,
        };
        assert_eq!(room_status(&r, 24 * 3_600_000 - 1), RoomStatus::Cleaning);
        assert_eq!(room_status(&r, 24 * 3_600_000), RoomStatus::Free);
        r.out_of_service_reason = Some("leak".into());
        assert_eq!(room_status(&r, 0), RoomStatus::OutOfService);
        r.occupants = 1;
        assert_eq!(room_status(&r, 0), RoomStatus::Occupied);
    }
}
