//! Epidemiological investigation and tracing (流调溯源): cases and their reclassification,
//! itineraries, venues and check-ins, exposure matching on the in-memory index, contacts
//! (whose confirmation assigns the control measure of the policy in force), transmission
//! chains and tracing timeliness.
//!
//! The exposure index (`fangkong_exposure::ExposureIndex`) is built from every stored
//! check-in on first use and kept in step afterwards: a check-in reaches the index only
//! after its transaction committed, and loading and ingest hold the same lock, so the index
//! never misses a committed check-in nor holds an uncommitted one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use fangkong_domain::policy::{ContactType, Facts, Pocket};
use fangkong_domain::{
    CaseClass, CaseOutcome, ContactSetting, ContactStatus, Detection, JurisdictionCode, Permission,
    Severity, TransportKind,
};
use fangkong_epi::chains::{self, ChainCase, ChainLink, LinkConfidence};
use fangkong_exposure::{CheckIn, ExposureIndex, IndexConfig, Interval};
use fangkong_ingest::testing::parse_time;
use fangkong_store::tracing::{
    Case, CaseEvent, CaseFilter, CheckinRow, Contact, ItineraryEntry, Link, NewCase, NewCaseEvent,
    NewCheckin, NewContact, NewItineraryEntry, NewLink, PendingCase, PersonBrief, Venue,
};
use serde_json::json;
use tokio::sync::{Mutex, OnceCell};

use crate::{Actor, App, Error, Result};

/// Days of itinerary looked back from the onset (or the detection, for an asymptomatic
/// infection): the protocol's 4 days before onset, widened to the 14 days of an incubation
/// period so that an investigator may record earlier places when the source is sought.
pub const LOOKBACK_DAYS: i64 = 14;
/// Default margin of exposure matching, in minutes: a check-in that ended up to this long
/// before the case arrived, or began up to this long after the case left, still counts.
pub const DEFAULT_MARGIN_MINUTES: i64 = 30;
/// The largest margin accepted, in minutes.
pub const MAX_MARGIN_MINUTES: i64 = 24 * 60;
/// Assumed stay of a check-in without a check-out, in minutes.
pub const ASSUMED_DWELL_MINUTES: u32 = 60;
/// Hours within which the itinerary and the control of contacts are due (the protocol's
/// "24 hours to complete the investigation and put contacts under control").
pub const TIMELY_HOURS: f64 = 24.0;

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_HOUR: f64 = 3_600_000.0;

/// The index and the lock that keeps it in step with the store.
#[derive(Default)]
pub(crate) struct ExposureState {
    index: OnceCell<RwLock<ExposureIndex>>,
    /// Held by the first load and by every check-in write until the index has it.
    gate: Mutex<()>,
}

/// The app's shared exposure state.
pub(crate) type SharedExposure = Arc<ExposureState>;

fn index_config() -> IndexConfig {
    IndexConfig {
        assumed_dwell_secs: ASSUMED_DWELL_MINUTES * 60,
        ..IndexConfig::default()
    }
}

fn to_checkin(r: &CheckinRow) -> Option<CheckIn> {
    Some(CheckIn {
        person: u32::try_from(r.person_id).ok()?,
        venue: u32::try_from(r.venue_id).ok()?,
        start: r.time_in.div_euclid(1000),
        end: r.time_out.map(|t| (t + 999).div_euclid(1000)),
    })
}

// ---- Inputs and views -------------------------------------------------------------------

/// A case to register.
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    /// The person's id in the registry (or give `id_number`).
    pub person_id: Option<i64>,
    /// The person's mainland ID number.
    pub id_number: Option<String>,
    /// `suspected`, `asymptomatic` or `confirmed`.
    pub classification: String,
    /// How it was detected (see [`Detection`]).
    pub detection: String,
    /// The tube code of the sample that led to the case.
    pub source_tube: Option<String>,
    /// The alert (sentinel signal, inbound notice) that led to the case.
    pub source_alert: Option<String>,
    /// Times: `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339.
    pub onset_at: Option<String>,
    /// Now when absent.
    pub detected_at: Option<String>,
    /// Now when absent.
    pub reported_at: Option<String>,
    pub severity: Option<String>,
}

/// Changes to a case; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct CaseUpdate {
    pub classification: Option<String>,
    pub severity: Option<String>,
    /// `open`, `recovered` or `died` (the time is `outcome_at`, now when absent).
    pub outcome: Option<String>,
    pub outcome_at: Option<String>,
    pub onset_at: Option<String>,
    pub isolated_at: Option<String>,
    pub admitted_at: Option<String>,
    /// Why (kept in the history).
    pub note: Option<String>,
}

/// An itinerary entry to record: a venue (by place code or facility id), an address, or
/// transport.
#[derive(Debug, Clone, Default)]
pub struct ItineraryInput {
    pub start_at: String,
    pub end_at: String,
    pub place_code: Option<String>,
    pub venue_id: Option<i64>,
    pub address: Option<String>,
    pub transport_kind: Option<String>,
    pub transport_no: Option<String>,
    pub carriage: Option<String>,
    pub seat: Option<String>,
    pub note: Option<String>,
}

/// A decision on a contact of a case.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub person_id: i64,
    /// `close` (default), `secondary` or `space_time`.
    pub degree: Option<String>,
    /// For a secondary contact: the confirmed close contact (its contact id) they were
    /// exposed through.
    pub via_contact_id: Option<i64>,
    /// See [`ContactSetting`].
    pub setting: String,
    pub venue_id: Option<i64>,
    /// The last exposure; for a match, its `last_at`.
    pub last_exposure_at: String,
    pub overlap_minutes: Option<i64>,
    pub note: Option<String>,
}

/// A transmission link to record.
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    pub infector_case_id: i64,
    pub infectee_case_id: i64,
    /// `confirmed`, `probable` or `possible`.
    pub confidence: String,
    pub setting: String,
    pub note: Option<String>,
}

/// A case with everything an investigator works on.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub case: Case,
    pub events: Vec<CaseEvent>,
    pub itinerary: Vec<ItineraryEntry>,
    pub contacts: Vec<Contact>,
    /// The link naming this case's infector, if any.
    pub infected_by: Option<Link>,
    /// The links naming this case as infector.
    pub infected: Vec<Link>,
    /// The look-back window of the itinerary, Unix milliseconds.
    pub lookback: (i64, i64),
    pub timeliness: CaseTimeliness,
}

/// Hours from report to the itinerary's completion and to contacts under control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseTimeliness {
    pub itinerary_hours: Option<f64>,
    pub contacts_hours: Option<f64>,
}

/// A candidate contact found by exposure matching or from the household.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub person: PersonBrief,
    pub setting: ContactSetting,
    /// The venue of the largest overlap (none for a household member).
    pub venue: Option<Venue>,
    /// Minutes of overlap with the case's itinerary, margin included (0 for the household).
    pub overlap_minutes: i64,
    /// The start of the first and the end of the last overlap, Unix milliseconds.
    pub first_at: i64,
    pub last_at: i64,
    /// Overlapping (check-in, itinerary interval) pairs.
    pub pairs: u32,
    /// Whether the person lives inside the actor's jurisdiction.
    pub in_scope: bool,
}

/// The outcome of a check-in import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckinImport {
    pub rows: u64,
    pub stored: u64,
    /// Rows already stored (same person, venue and time in).
    pub duplicates: u64,
    /// Refused rows: line, field, reason.
    pub refused: Vec<(u64, String, String)>,
}

/// A node of the chain graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainNode {
    pub case_id: i64,
    /// The person's masked name, or none for a case outside the actor's jurisdiction.
    pub label: Option<String>,
    pub classification: String,
    pub community_code: String,
    pub onset: Option<chrono::NaiveDate>,
    pub reported: chrono::NaiveDate,
    pub generation: u32,
    pub cluster: Option<u32>,
}

/// An edge of the chain graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainEdge {
    pub link_id: i64,
    pub infector: i64,
    pub infectee: i64,
    pub confidence: String,
    pub setting: String,
    pub serial_days: Option<i64>,
}

/// Chains and clusters as the actor may see them.
#[derive(Debug, Clone)]
pub struct ChainsView {
    pub nodes: Vec<ChainNode>,
    pub edges: Vec<ChainEdge>,
    pub clusters: Vec<chains::Cluster>,
    pub serial: Option<chains::SerialSummary>,
}

/// Timeliness of one county.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinessRow {
    /// The county's code, or the code of the jurisdiction the actor sees when the row is the
    /// total.
    pub code: String,
    pub name: String,
    pub cases: u64,
    pub itinerary_done: u64,
    pub itinerary_median_hours: Option<f64>,
    pub itinerary_within_24h: u64,
    pub contacts_done: u64,
    pub contacts_median_hours: Option<f64>,
    pub contacts_within_24h: u64,
}

// ---- Parsing helpers --------------------------------------------------------------------

type Invalid = Vec<(String, String)>;

fn parse_at(field: &str, text: &str, now: i64, invalid: &mut Invalid) -> Option<i64> {
    match parse_time(text) {
        Ok(t) => {
            let at = t.timestamp_millis();
            if at > now {
                invalid.push((field.into(), "is in the future".into()));
                None
            } else {
                Some(at)
            }
        }
        Err(e) => {
            invalid.push((field.into(), e.to_string()));
            None
        }
    }
}

fn parse_opt_at(field: &str, text: Option<&str>, now: i64, invalid: &mut Invalid) -> Option<i64> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| parse_at(field, t, now, invalid))
}

fn parse_key<T>(
    field: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
    keys: impl Fn() -> String,
    invalid: &mut Invalid,
) -> Option<T> {
    let found = parse(text.trim());
    if found.is_none() {
        invalid.push((field.into(), format!("must be one of {}", keys())));
    }
    found
}

fn short_text(
    field: &str,
    text: Option<&str>,
    max: usize,
    invalid: &mut Invalid,
) -> Option<String> {
    let t = text.map(str::trim).filter(|t| !t.is_empty())?;
    if t.chars().count() > max {
        invalid.push((field.into(), format!("must be at most {max} characters")));
        return None;
    }
    Some(t.to_string())
}

fn check(invalid: Invalid) -> Result<()> {
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(invalid))
    }
}

fn hours(from: i64, to: Option<i64>) -> Option<f64> {
    to.map(|t| (t - from) as f64 / MS_PER_HOUR)
}

/// The median of `values` (sorted in place), `None` when empty.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// The timeliness of a case.
pub fn case_timeliness(case: &Case) -> CaseTimeliness {
    CaseTimeliness {
        itinerary_hours: hours(case.reported_at, case.fields.itinerary_completed_at),
        contacts_hours: hours(case.reported_at, case.fields.contacts_controlled_at),
    }
}

/// The look-back window of a case's itinerary: from `LOOKBACK_DAYS` before the onset (or,
/// without one, the detection) to the isolation (or now).
pub fn lookback(case: &Case, now: i64) -> (i64, i64) {
    let from = case.fields.onset_at.unwrap_or(case.detected_at) - LOOKBACK_DAYS * 86_400_000;
    let to = case.fields.isolated_at.unwrap_or(now).max(from);
    (from, to)
}

fn china_day(ms: i64) -> chrono::NaiveDate {
    crate::clock::china_date(DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default())
}

impl App {
    // ---- The exposure index -------------------------------------------------------------

    /// The exposure index, built from the store on first use.
    async fn exposure(&self) -> Result<&RwLock<ExposureIndex>> {
        let state = &self.exposure;
        if let Some(index) = state.index.get() {
            return Ok(index);
        }
        // The gate is held until the index is in its cell, so a write waiting on it finds the
        // index and adds its rows (a write that went first is in the store the build reads).
        let _gate = state.gate.lock().await;
        state
            .index
            .get_or_try_init(|| async {
                let mut rows = Vec::new();
                self.store()
                    .tracing()
                    .each_checkin(|r| rows.extend(to_checkin(&r)))
                    .await?;
                let n = rows.len();
                let index = ExposureIndex::build(index_config(), rows)
                    .map_err(|e| Error::Conflict(format!("exposure index: {e}")))?;
                tracing::info!(
                    checkins = n,
                    bytes = index.memory_bytes(),
                    "exposure index built"
                );
                Ok::<_, Error>(RwLock::new(index))
            })
            .await
    }

    /// Builds the exposure index now (the server calls it at start so that the first
    /// investigator does not wait for it). Returns the number of check-ins indexed.
    ///
    /// # Errors
    /// `Store` on database failure.
    pub async fn warm_exposure_index(&self) -> Result<usize> {
        let index = self.exposure().await?;
        Ok(index.read().map(|i| i.len()).unwrap_or(0))
    }

    /// Stores check-ins and adds the new ones to the index (when it is built; else the
    /// build reads them). Returns `(stored, duplicates)`.
    async fn store_checkins(&self, rows: &[NewCheckin<'_>]) -> Result<(u64, u64)> {
        let _gate = self.exposure.gate.lock().await;
        let added = self.store().tracing().insert_checkins(rows).await?;
        if let Some(index) = self.exposure.index.get() {
            let mut index = index
                .write()
                .map_err(|_| Error::Conflict("exposure index poisoned".into()))?;
            for r in &added {
                if let Some(c) = to_checkin(r) {
                    index
                        .insert(c)
                        .map_err(|e| Error::Conflict(format!("exposure index: {e}")))?;
                }
            }
        }
        let stored = added.len() as u64;
        Ok((stored, rows.len() as u64 - stored))
    }

    // ---- Venues and check-ins -----------------------------------------------------------

    /// Venues inside the actor's jurisdiction matching `query` (name or place code).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`.
    pub async fn venues(&self, actor: &Actor, query: &str, limit: i64) -> Result<Vec<Venue>> {
        actor.require(Permission::TracingRead)?;
        Ok(self
            .store()
            .tracing()
            .venues(&actor.scope, query, limit.clamp(1, 500))
            .await?)
    }

    /// A venue by facility id (venues are not personal data: any investigator may name one).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound`.
    pub async fn venue(&self, actor: &Actor, id: i64) -> Result<Venue> {
        actor.require(Permission::TracingRead)?;
        Ok(self.store().tracing().venue(id).await?)
    }

    /// Imports a venue list (CSV, XLSX or NDJSON): all rows or none. The same list again
    /// changes nothing (every row unchanged).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `Import` naming every bad row; `Forbidden`
    /// when a venue's community lies outside the actor's jurisdiction.
    pub async fn import_venues(
        &self,
        actor: &Actor,
        name: &str,
        bytes: &[u8],
    ) -> Result<crate::jurisdictions::ImportOutcome> {
        actor.require(Permission::TracingOperate)?;
        let records = fangkong_ingest::parse_venues(name, bytes)?;
        for r in &records {
            if !actor.scope.covers(&r.community_code) {
                return Err(Error::Forbidden);
            }
        }
        let known: HashSet<String> = {
            let codes: Vec<&str> = records.iter().map(|r| r.community_code.as_str()).collect();
            self.store().jurisdictions().existing(&codes).await?
        };
        let mut invalid = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if !known.contains(&r.community_code) {
                invalid.push((
                    format!("row {}: community_code", i + 2),
                    format!("{} is not a known community", r.community_code),
                ));
            }
        }
        check(invalid)?;
        let venues: Vec<_> = records
            .iter()
            .map(|r| fangkong_store::tracing::NewVenue {
                place_code: r.place_code.as_str(),
                name: &r.name,
                subtype: r.kind.as_str(),
                community_code: &r.community_code,
                lon: r.lon,
                lat: r.lat,
            })
            .collect();
        let (created, updated) = self.store().tracing().upsert_venues(&venues).await?;
        self.audit(
            actor,
            "tracing.venues_import",
            "venue",
            None,
            None,
            json!({"file": name, "rows": records.len(), "created": created, "updated": updated}),
        )
        .await?;
        let rows = records.len() as u64;
        Ok(crate::jurisdictions::ImportOutcome {
            rows,
            created,
            updated,
            unchanged: rows - created - updated,
        })
    }

    /// Imports check-ins (CSV, XLSX or NDJSON), the high-volume feed of place-code scans:
    /// valid rows are stored (and indexed), refused rows listed with line and field, rows
    /// already stored counted as duplicates, so a re-sent file changes nothing.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`, or when a venue of the file lies outside the
    /// actor's jurisdiction (nothing is stored then); `Import` when the file cannot be read
    /// at all.
    pub async fn import_checkins(
        &self,
        actor: &Actor,
        name: &str,
        bytes: &[u8],
    ) -> Result<CheckinImport> {
        crate::telemetry::measured(
            "checkins",
            self.import_checkins_unmeasured(actor, name, bytes),
        )
        .await
    }

    /// [`App::import_checkins`] without its metrics.
    async fn import_checkins_unmeasured(
        &self,
        actor: &Actor,
        name: &str,
        bytes: &[u8],
    ) -> Result<CheckinImport> {
        actor.require(Permission::TracingOperate)?;
        let batch = fangkong_ingest::parse_checkins(name, bytes)?;
        let now = self.now_ms();
        let mut out = CheckinImport {
            rows: (batch.records.len() + batch.refused.len()) as u64,
            refused: batch
                .refused
                .iter()
                .map(|e| (e.line, e.field.clone(), e.reason.clone()))
                .collect(),
            ..CheckinImport::default()
        };
        // Resolve place codes and ID numbers in bulk.
        let codes: Vec<&str> = {
            let mut c: Vec<&str> = batch
                .records
                .iter()
                .map(|r| r.place_code.as_str())
                .collect();
            c.sort_unstable();
            c.dedup();
            c
        };
        let venues = self.store().tracing().venues_by_code(&codes).await?;
        let blinds: HashMap<&str, Vec<u8>> = batch
            .records
            .iter()
            .filter_map(|r| r.national_id.as_ref())
            .map(|id| {
                (
                    id.as_str(),
                    self.store()
                        .persons()
                        .document_index(&fangkong_domain::Document::MainlandId(id.clone())),
                )
            })
            .collect();
        let blind_list: Vec<Vec<u8>> = blinds.values().cloned().collect();
        let by_blind = self.store().tracing().persons_by_blind(&blind_list).await?;
        let mut rows = Vec::with_capacity(batch.records.len());
        let mut given_ids = Vec::new();
        for r in &batch.records {
            if r.national_id.is_none() {
                given_ids.extend(r.person_id);
            }
        }
        given_ids.sort_unstable();
        given_ids.dedup();
        let known_ids: HashSet<i64> = self
            .store()
            .tracing()
            .briefs(&given_ids)
            .await?
            .into_keys()
            .collect();
        for r in &batch.records {
            let Some(venue) = venues.get(r.place_code.as_str()) else {
                out.refused.push((
                    r.line,
                    "place_code".into(),
                    "no venue has this place code".into(),
                ));
                continue;
            };
            if !actor.scope.covers(&venue.community_code) {
                // A feed is a jurisdiction's own venues: nothing of it is stored.
                return Err(Error::Forbidden);
            }
            let person = match (&r.national_id, r.person_id) {
                (Some(id), _) => blinds
                    .get(id.as_str())
                    .and_then(|b| by_blind.get(b))
                    .copied(),
                (None, Some(pid)) => known_ids.contains(&pid).then_some(pid),
                (None, None) => None,
            };
            let Some(person_id) = person else {
                let field = if r.national_id.is_some() {
                    "national_id"
                } else {
                    "person_id"
                };
                out.refused
                    .push((r.line, field.into(), "no registered person".into()));
                continue;
            };
            let time_in = r.time_in.timestamp_millis();
            if time_in > now {
                out.refused
                    .push((r.line, "time_in".into(), "is in the future".into()));
                continue;
            }
            if time_in < index_config().epoch * 1000 {
                out.refused
                    .push((r.line, "time_in".into(), "is before 2020".into()));
                continue;
            }
            rows.push(NewCheckin {
                person_id,
                venue_id: venue.id,
                community_code: &venue.community_code,
                time_in,
                time_out: r.time_out.map(|t| t.timestamp_millis()),
                source: "import",
            });
        }
        out.refused
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let (stored, duplicates) = self.store_checkins(&rows).await?;
        out.stored = stored;
        out.duplicates = duplicates;
        self.audit(
            actor,
            "tracing.checkins_import",
            "checkin",
            None,
            None,
            json!({"file": name, "rows": out.rows, "stored": stored, "duplicates": duplicates,
                   "refused": out.refused.len()}),
        )
        .await?;
        Ok(out)
    }

    /// Records one check-in (a scan). Returns whether it was new.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound` for a person or venue outside the
    /// jurisdiction; `Invalid` for bad times.
    pub async fn record_checkin(
        &self,
        actor: &Actor,
        person_id: i64,
        venue_id: i64,
        time_in: &str,
        time_out: Option<&str>,
    ) -> Result<bool> {
        actor.require(Permission::TracingOperate)?;
        let venue = self.store().tracing().venue(venue_id).await?;
        if !actor.scope.covers(&venue.community_code) {
            return Err(Error::NotFound);
        }
        self.store()
            .tracing()
            .briefs(&[person_id])
            .await?
            .get(&person_id)
            .ok_or(Error::NotFound)?;
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let t_in = parse_at("time_in", time_in, now, &mut invalid);
        let t_out = parse_opt_at("time_out", time_out, now, &mut invalid);
        if let (Some(a), Some(b)) = (t_in, t_out) {
            if b <= a {
                invalid.push(("time_out".into(), "must be after time_in".into()));
            }
        }
        if t_in.is_some_and(|t| t < index_config().epoch * 1000) {
            invalid.push(("time_in".into(), "is before 2020".into()));
        }
        check(invalid)?;
        let Some(t_in) = t_in else {
            return Err(Error::invalid("time_in", "is required"));
        };
        let (stored, _) = self
            .store_checkins(&[NewCheckin {
                person_id,
                venue_id,
                community_code: &venue.community_code,
                time_in: t_in,
                time_out: t_out,
                source: "scan",
            }])
            .await?;
        Ok(stored > 0)
    }

    // ---- Cases --------------------------------------------------------------------------

    /// Registers a case. The person must live in the actor's jurisdiction and not be a case
    /// already.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `Invalid` naming every bad field; `NotFound`
    /// for a person outside the jurisdiction; `Conflict` when the person is a case already.
    pub async fn register_case(&self, actor: &Actor, input: &CaseInput) -> Result<Case> {
        actor.require(Permission::TracingOperate)?;
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let person_id = match (input.person_id, input.id_number.as_deref().map(str::trim)) {
            (Some(id), _) => Some(id),
            (None, Some(text)) if !text.is_empty() => {
                match fangkong_domain::NationalId::parse(text) {
                    Ok(id) => {
                        let blind = self
                            .store()
                            .persons()
                            .document_index(&fangkong_domain::Document::MainlandId(id));
                        let found = self
                            .store()
                            .tracing()
                            .persons_by_blind(std::slice::from_ref(&blind))
                            .await?;
                        if found.is_empty() {
                            invalid.push((
                                "id_number".into(),
                                "no registered person holds this ID number".into(),
                            ));
                        }
                        found.get(&blind).copied()
                    }
                    Err(e) => {
                        invalid.push(("id_number".into(), e.to_string()));
                        None
                    }
                }
            }
            _ => {
                invalid.push((
                    "person_id".into(),
                    "a person id or an ID number is required".into(),
                ));
                None
            }
        };
        let class = parse_key(
            "classification",
            &input.classification,
            CaseClass::parse,
            CaseClass::keys,
            &mut invalid,
        );
        if class == Some(CaseClass::Excluded) {
            invalid.push((
                "classification".into(),
                "a case is registered as suspected, asymptomatic or confirmed".into(),
            ));
        }
        let detection = parse_key(
            "detection",
            &input.detection,
            Detection::parse,
            Detection::keys,
            &mut invalid,
        );
        let severity = input
            .severity
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| parse_key("severity", s, Severity::parse, Severity::keys, &mut invalid));
        let source_tube = short_text(
            "source_tube",
            input.source_tube.as_deref(),
            64,
            &mut invalid,
        );
        let source_alert = short_text(
            "source_alert",
            input.source_alert.as_deref(),
            64,
            &mut invalid,
        );
        let onset_at = parse_opt_at("onset_at", input.onset_at.as_deref(), now, &mut invalid);
        let detected_at = parse_opt_at(
            "detected_at",
            input.detected_at.as_deref(),
            now,
            &mut invalid,
        )
        .unwrap_or(now);
        let reported_at = parse_opt_at(
            "reported_at",
            input.reported_at.as_deref(),
            now,
            &mut invalid,
        )
        .unwrap_or(now);
        if reported_at < detected_at {
            invalid.push((
                "reported_at".into(),
                "must not be before detected_at".into(),
            ));
        }
        check(invalid)?;
        let (Some(person_id), Some(class), Some(detection)) = (person_id, class, detection) else {
            return Err(Error::invalid("person_id", "is required"));
        };
        let person = self.store().persons().find(&actor.scope, person_id).await?;
        if self
            .store()
            .tracing()
            .case_of_person(person_id)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(
                "the person is a registered case already".into(),
            ));
        }
        let id = self
            .store()
            .tracing()
            .create_case(
                &NewCase {
                    person_id,
                    community_code: &person.community_code,
                    classification: class.as_str(),
                    detection: detection.as_str(),
                    source_tube: source_tube.as_deref(),
                    source_alert: source_alert.as_deref(),
                    onset_at,
                    detected_at,
                    reported_at,
                    severity: severity.map(Severity::as_str),
                },
                &actor.label(),
                now,
            )
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => {
                    Error::Conflict("the person is a registered case already".into())
                }
                other => other.into(),
            })?;
        self.audit(
            actor,
            "tracing.case_register",
            "case",
            Some(id.to_string()),
            None,
            json!({"person_id": person_id, "classification": class.as_str(), "detection": detection.as_str()}),
        )
        .await?;
        Ok(self.store().tracing().case(&actor.scope, id).await?)
    }

    /// Cases inside the actor's jurisdiction, latest report first.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`.
    pub async fn cases(
        &self,
        actor: &Actor,
        classification: Option<CaseClass>,
        within: Option<&JurisdictionCode>,
        limit: i64,
    ) -> Result<Vec<Case>> {
        actor.require(Permission::TracingRead)?;
        Ok(self
            .store()
            .tracing()
            .cases(
                &actor.scope,
                &CaseFilter {
                    classification: classification.map(CaseClass::as_str),
                    within,
                    reported_since: None,
                    limit: limit.clamp(1, 10_000),
                },
            )
            .await?)
    }

    /// Suspected cases from testing waiting to be registered.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`.
    pub async fn pending_cases(&self, actor: &Actor) -> Result<Vec<PendingCase>> {
        actor.require(Permission::TracingRead)?;
        Ok(self
            .store()
            .tracing()
            .pending_from_testing(&actor.scope, 200)
            .await?)
    }

    /// A case with its history, itinerary, contacts and links.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound` outside the jurisdiction.
    pub async fn case_detail(&self, actor: &Actor, id: i64) -> Result<CaseDetail> {
        actor.require(Permission::TracingRead)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, id).await?;
        let links = t.links_of_case(id).await?;
        let infected_by = links.iter().find(|l| l.infectee_case_id == id).cloned();
        let infected = links
            .into_iter()
            .filter(|l| l.infector_case_id == id)
            .collect();
        let lookback = lookback(&case, self.now_ms());
        Ok(CaseDetail {
            timeliness: case_timeliness(&case),
            events: t.case_events(id).await?,
            itinerary: t.itinerary(id).await?,
            contacts: t.contacts(id).await?,
            infected_by,
            infected,
            lookback,
            case,
        })
    }

    /// Changes a case: reclassification (only along [`CaseClass::may_become`]), severity,
    /// outcome, onset, isolation and admission times. Each change is a history entry.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`; `Invalid` naming every bad field
    /// (a reclassification not allowed, a time in the future, an outcome time before the
    /// report).
    pub async fn update_case(&self, actor: &Actor, id: i64, u: &CaseUpdate) -> Result<Case> {
        actor.require(Permission::TracingOperate)?;
        let case = self.store().tracing().case(&actor.scope, id).await?;
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let mut f = case.fields.clone();
        let mut events = Vec::new();
        let note = short_text("note", u.note.as_deref(), 500, &mut invalid);
        let mut event = |kind: &'static str, from: Option<String>, to: Option<String>| {
            if from != to {
                events.push(NewCaseEvent {
                    kind,
                    from_value: from,
                    to_value: to,
                    note: note.clone(),
                });
            }
        };
        if let Some(text) = u.classification.as_deref().filter(|t| !t.trim().is_empty()) {
            if let Some(to) = parse_key(
                "classification",
                text,
                CaseClass::parse,
                CaseClass::keys,
                &mut invalid,
            ) {
                let from = CaseClass::parse(&f.classification).unwrap_or(CaseClass::Suspected);
                if from != to {
                    if from.may_become(to) {
                        event(
                            "reclassified",
                            Some(from.as_str().into()),
                            Some(to.as_str().into()),
                        );
                        f.classification = to.as_str().into();
                    } else {
                        invalid.push((
                            "classification".into(),
                            format!("a case {} cannot become {}", from.as_str(), to.as_str()),
                        ));
                    }
                }
            }
        }
        if let Some(text) = u.severity.as_deref().filter(|t| !t.trim().is_empty()) {
            if let Some(s) = parse_key(
                "severity",
                text,
                Severity::parse,
                Severity::keys,
                &mut invalid,
            ) {
                event("severity", f.severity.clone(), Some(s.as_str().into()));
                f.severity = Some(s.as_str().into());
            }
        }
        for (field, text, slot, kind) in [
            ("onset_at", u.onset_at.as_deref(), &mut f.onset_at, "onset"),
            (
                "isolated_at",
                u.isolated_at.as_deref(),
                &mut f.isolated_at,
                "isolated",
            ),
            (
                "admitted_at",
                u.admitted_at.as_deref(),
                &mut f.admitted_at,
                "admitted",
            ),
        ] {
            if let Some(at) = parse_opt_at(field, text, now, &mut invalid) {
                let show = |v: Option<i64>| v.map(|v| v.to_string());
                event(kind, show(*slot), show(Some(at)));
                *slot = Some(at);
            }
        }
        if let Some(text) = u.outcome.as_deref().filter(|t| !t.trim().is_empty()) {
            if let Some(o) = parse_key(
                "outcome",
                text,
                CaseOutcome::parse,
                CaseOutcome::keys,
                &mut invalid,
            ) {
                let at = if o == CaseOutcome::Open {
                    None
                } else {
                    Some(
                        parse_opt_at("outcome_at", u.outcome_at.as_deref(), now, &mut invalid)
                            .unwrap_or(now),
                    )
                };
                if at.is_some_and(|a| a < case.reported_at) {
                    invalid.push(("outcome_at".into(), "must not be before the report".into()));
                }
                event("outcome", Some(f.outcome.clone()), Some(o.as_str().into()));
                f.outcome = o.as_str().into();
                f.outcome_at = at;
            }
        }
        check(invalid)?;
        if events.is_empty() {
            return Ok(case);
        }
        self.store()
            .tracing()
            .save_case(id, &f, &events, &actor.label(), now)
            .await?;
        self.audit(
            actor,
            "tracing.case_update",
            "case",
            Some(id.to_string()),
            None,
            json!({"changes": events.iter().map(|e| json!({"kind": e.kind, "from": e.from_value, "to": e.to_value})).collect::<Vec<_>>()}),
        )
        .await?;
        Ok(self.store().tracing().case(&actor.scope, id).await?)
    }

    // ---- Itineraries --------------------------------------------------------------------

    /// Adds entries to a case's itinerary (all or none).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`; `Invalid` naming the entry and
    /// field: bad or future times, an end not after the start, an unknown place code or
    /// transport kind, an entry with neither venue, address nor transport.
    pub async fn add_itinerary(
        &self,
        actor: &Actor,
        case_id: i64,
        entries: &[ItineraryInput],
    ) -> Result<Vec<i64>> {
        actor.require(Permission::TracingOperate)?;
        let case = self.store().tracing().case(&actor.scope, case_id).await?;
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let codes: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.place_code.as_deref())
            .map(str::trim)
            .collect();
        let by_code = self.store().tracing().venues_by_code(&codes).await?;
        let mut rows = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let p = |f: &str| format!("entries[{i}].{f}");
            let start = parse_at(&p("start_at"), &e.start_at, now, &mut invalid);
            let end = parse_at(&p("end_at"), &e.end_at, now, &mut invalid);
            if let (Some(s), Some(t)) = (start, end) {
                if t <= s {
                    invalid.push((p("end_at"), "must be after start_at".into()));
                }
            }
            let mut venue_id = e.venue_id;
            if let Some(code) = e
                .place_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                match by_code.get(code) {
                    Some(v) => venue_id = Some(v.id),
                    None => invalid.push((p("place_code"), "no venue has this place code".into())),
                }
            } else if let Some(id) = venue_id {
                if matches!(
                    self.store().tracing().venue(id).await,
                    Err(fangkong_store::StoreError::NotFound)
                ) {
                    invalid.push((p("venue_id"), "no venue has this id".into()));
                }
            }
            let transport_kind = e
                .transport_kind
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .and_then(|t| {
                    parse_key(
                        &p("transport_kind"),
                        t,
                        TransportKind::parse,
                        TransportKind::keys,
                        &mut invalid,
                    )
                });
            let transport_no = short_text(
                &p("transport_no"),
                e.transport_no.as_deref(),
                32,
                &mut invalid,
            );
            if transport_kind.is_some() != transport_no.is_some() {
                invalid.push((
                    p("transport_no"),
                    "a transport needs both its kind and its number".into(),
                ));
            }
            let address = short_text(&p("address"), e.address.as_deref(), 200, &mut invalid);
            let named_place = e
                .place_code
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty());
            if venue_id.is_none() && !named_place && address.is_none() && transport_no.is_none() {
                invalid.push((
                    p("place_code"),
                    "give a venue, an address or a transport".into(),
                ));
            }
            rows.push(NewItineraryEntry {
                start_at: start.unwrap_or(0),
                end_at: end.unwrap_or(0),
                venue_id,
                address,
                transport_kind: transport_kind.map(|t| t.as_str().to_string()),
                transport_no,
                carriage: short_text(&p("carriage"), e.carriage.as_deref(), 16, &mut invalid),
                seat: short_text(&p("seat"), e.seat.as_deref(), 16, &mut invalid),
                note: short_text(&p("note"), e.note.as_deref(), 500, &mut invalid),
            });
        }
        check(invalid)?;
        let ids = self
            .store()
            .tracing()
            .add_itinerary(case.id, &rows, &actor.label(), now)
            .await?;
        self.audit(
            actor,
            "tracing.itinerary_add",
            "case",
            Some(case_id.to_string()),
            None,
            json!({"entries": ids.len()}),
        )
        .await?;
        Ok(ids)
    }

    /// Adds the case's own check-ins inside the look-back window to its itinerary (those not
    /// there already, by venue and start). Returns how many were added.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`.
    pub async fn itinerary_from_checkins(&self, actor: &Actor, case_id: i64) -> Result<usize> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        let (from, to) = lookback(&case, self.now_ms());
        let have: HashSet<(Option<i64>, i64)> = t
            .itinerary(case_id)
            .await?
            .iter()
            .map(|e| (e.venue_id, e.start_at))
            .collect();
        let dwell = i64::from(ASSUMED_DWELL_MINUTES) * MS_PER_MINUTE;
        let rows: Vec<NewItineraryEntry> = t
            .person_checkins(case.person_id, from, to)
            .await?
            .into_iter()
            .filter(|c| !have.contains(&(Some(c.venue_id), c.time_in)))
            .map(|c| NewItineraryEntry {
                start_at: c.time_in,
                end_at: c.time_out.unwrap_or(c.time_in + dwell),
                venue_id: Some(c.venue_id),
                note: Some("check-in".into()),
                ..NewItineraryEntry::default()
            })
            .collect();
        if rows.is_empty() {
            return Ok(0);
        }
        let ids = t
            .add_itinerary(case_id, &rows, &actor.label(), self.now_ms())
            .await?;
        self.audit(
            actor,
            "tracing.itinerary_add",
            "case",
            Some(case_id.to_string()),
            None,
            json!({"from_checkins": ids.len()}),
        )
        .await?;
        Ok(ids.len())
    }

    /// Removes an itinerary entry.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`.
    pub async fn remove_itinerary_entry(
        &self,
        actor: &Actor,
        case_id: i64,
        entry_id: i64,
    ) -> Result<()> {
        actor.require(Permission::TracingOperate)?;
        self.store().tracing().case(&actor.scope, case_id).await?;
        self.store()
            .tracing()
            .remove_itinerary_entry(case_id, entry_id)
            .await?;
        self.audit(
            actor,
            "tracing.itinerary_remove",
            "case",
            Some(case_id.to_string()),
            None,
            json!({"entry_id": entry_id}),
        )
        .await?;
        Ok(())
    }

    /// Marks the case's itinerary complete (the first timeliness milestone).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`; `Invalid` when the itinerary is
    /// empty.
    pub async fn complete_itinerary(&self, actor: &Actor, case_id: i64) -> Result<Case> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        if case.fields.itinerary_completed_at.is_some() {
            return Ok(case);
        }
        if t.itinerary(case_id).await?.is_empty() {
            return Err(Error::invalid(
                "itinerary",
                "is empty: record the case's places first",
            ));
        }
        let now = self.now_ms();
        let mut f = case.fields.clone();
        f.itinerary_completed_at = Some(now);
        let event = NewCaseEvent {
            kind: "itinerary_completed",
            from_value: None,
            to_value: None,
            note: None,
        };
        t.save_case(case_id, &f, &[event], &actor.label(), now)
            .await?;
        self.audit(
            actor,
            "tracing.itinerary_complete",
            "case",
            Some(case_id.to_string()),
            None,
            json!({}),
        )
        .await?;
        Ok(t.case(&actor.scope, case_id).await?)
    }

    // ---- Exposure matching --------------------------------------------------------------

    async fn candidates_from(
        &self,
        actor: &Actor,
        exposures: Vec<fangkong_exposure::Exposure>,
        skip: &HashSet<i64>,
    ) -> Result<Vec<Candidate>> {
        let exposures: Vec<_> = exposures
            .into_iter()
            .filter(|e| !skip.contains(&i64::from(e.person)))
            .collect();
        let ids: Vec<i64> = exposures.iter().map(|e| i64::from(e.person)).collect();
        let briefs = self.store().tracing().briefs(&ids).await?;
        let now = self.now_ms();
        let mut venues: HashMap<i64, Venue> = HashMap::new();
        let mut out = Vec::with_capacity(exposures.len());
        for e in exposures {
            let Some(person) = briefs.get(&i64::from(e.person)) else {
                continue;
            };
            let vid = i64::from(e.venue);
            if let std::collections::hash_map::Entry::Vacant(slot) = venues.entry(vid) {
                if let Ok(v) = self.store().tracing().venue(vid).await {
                    slot.insert(v);
                }
            }
            out.push(Candidate {
                in_scope: actor.scope.covers(&person.community_code),
                person: person.clone(),
                setting: ContactSetting::Venue,
                venue: venues.get(&vid).cloned(),
                overlap_minutes: (e.overlap_secs + 59) / 60,
                // An open check-out's assumed stay (and the margin) may reach past now; the
                // last exposure cannot.
                first_at: (e.first_at * 1000).min(now),
                last_at: (e.last_at * 1000).min(now),
                pairs: e.pairs,
            });
        }
        Ok(out)
    }

    /// Candidate close contacts of a case: everyone whose check-ins overlap a venue entry of
    /// its itinerary (widened by `margin_minutes`), ranked by overlap, then the household
    /// members; the case's person and persons already decided on are left out. Audited
    /// (the list names people).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound`; `Invalid` for a margin outside
    /// 0–1440 minutes.
    pub async fn exposure_candidates(
        &self,
        actor: &Actor,
        case_id: i64,
        margin_minutes: i64,
    ) -> Result<Vec<Candidate>> {
        actor.require(Permission::TracingRead)?;
        if !(0..=MAX_MARGIN_MINUTES).contains(&margin_minutes) {
            return Err(Error::invalid(
                "margin_minutes",
                format!("must be between 0 and {MAX_MARGIN_MINUTES}"),
            ));
        }
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        let intervals: Vec<Interval> = t
            .itinerary(case_id)
            .await?
            .iter()
            .filter_map(|e| {
                Some(Interval {
                    venue: u32::try_from(e.venue_id?).ok()?,
                    start: e.start_at.div_euclid(1000),
                    end: (e.end_at + 999).div_euclid(1000),
                })
            })
            .collect();
        let mut skip: HashSet<i64> = t
            .contacts(case_id)
            .await?
            .iter()
            .map(|c| c.person_id)
            .collect();
        skip.insert(case.person_id);
        let exposures = {
            let index = self.exposure().await?;
            let index = index
                .read()
                .map_err(|_| Error::Conflict("exposure index poisoned".into()))?;
            index.match_intervals(
                &intervals,
                margin_minutes * 60,
                u32::try_from(case.person_id).ok(),
            )
        };
        let mut out = self.candidates_from(actor, exposures, &skip).await?;
        let person = t.briefs(&[case.person_id]).await?;
        if let Some(household) = person.get(&case.person_id).and_then(|p| p.household_id) {
            let exposed_until = case.fields.isolated_at.unwrap_or(self.now_ms());
            for m in t.household_members(household, case.person_id).await? {
                if skip.contains(&m.id) || out.iter().any(|c| c.person.id == m.id) {
                    continue;
                }
                out.push(Candidate {
                    in_scope: actor.scope.covers(&m.community_code),
                    person: m,
                    setting: ContactSetting::Household,
                    venue: None,
                    overlap_minutes: 0,
                    first_at: exposed_until,
                    last_at: exposed_until,
                    pairs: 0,
                });
            }
        }
        self.audit(
            actor,
            "tracing.exposure_match",
            "case",
            Some(case_id.to_string()),
            None,
            json!({"intervals": intervals.len(), "margin_minutes": margin_minutes, "candidates": out.len()}),
        )
        .await?;
        Ok(out)
    }

    /// Everyone checked in at a venue during a window (widened by the margin), ranked by
    /// overlap: the people to reach when a venue is named in a notice. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound` for an unknown venue or one outside
    /// the actor's jurisdiction; `Invalid` for bad times or margin.
    pub async fn venue_exposures(
        &self,
        actor: &Actor,
        venue_id: i64,
        from: &str,
        to: &str,
        margin_minutes: i64,
    ) -> Result<Vec<Candidate>> {
        actor.require(Permission::TracingRead)?;
        let venue = self.store().tracing().venue(venue_id).await?;
        // A county asks about its own venues; another county's go through co-investigation.
        if !actor.scope.covers(&venue.community_code) {
            return Err(Error::NotFound);
        }
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let start = parse_at("from", from, now, &mut invalid);
        let end = parse_time(to)
            .map(|t| t.timestamp_millis())
            .map_err(|e| invalid.push(("to".into(), e.to_string())))
            .ok();
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                invalid.push(("to".into(), "must be after from".into()));
            }
        }
        if !(0..=MAX_MARGIN_MINUTES).contains(&margin_minutes) {
            invalid.push((
                "margin_minutes".into(),
                format!("must be between 0 and {MAX_MARGIN_MINUTES}"),
            ));
        }
        check(invalid)?;
        let (Some(start), Some(end)) = (start, end) else {
            return Err(Error::invalid("from", "is required"));
        };
        let exposures = {
            let index = self.exposure().await?;
            let index = index
                .read()
                .map_err(|_| Error::Conflict("exposure index poisoned".into()))?;
            index.venue_window(
                u32::try_from(venue.id).map_err(|_| Error::NotFound)?,
                start.div_euclid(1000),
                (end + 999).div_euclid(1000),
                margin_minutes * 60,
            )
        };
        let out = self
            .candidates_from(actor, exposures, &HashSet::new())
            .await?;
        self.audit(
            actor,
            "tracing.venue_exposures",
            "venue",
            Some(venue_id.to_string()),
            None,
            json!({"from": start, "to": end, "margin_minutes": margin_minutes, "persons": out.len()}),
        )
        .await?;
        Ok(out)
    }

    // ---- Contacts -----------------------------------------------------------------------

    /// Confirms a contact of a case and assigns the person's control measure by the policy
    /// in force (the contact type decides the rule; the measure's pocket is `contact`).
    /// Confirming a person again updates the contact; the measure is assigned once.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound` for an unknown case or person;
    /// `Invalid` naming every bad field (the case's own person, a secondary contact without
    /// a confirmed close contact to go through, a future exposure).
    pub async fn confirm_contact(
        &self,
        actor: &Actor,
        case_id: i64,
        input: &ContactInput,
    ) -> Result<Contact> {
        self.decide_contact(actor, case_id, input, ContactStatus::Confirmed)
            .await
    }

    /// Dismisses a candidate: the investigator judged the person not to be a contact. The
    /// person is not proposed again for this case.
    ///
    /// # Errors
    /// As [`App::confirm_contact`].
    pub async fn dismiss_contact(
        &self,
        actor: &Actor,
        case_id: i64,
        input: &ContactInput,
    ) -> Result<Contact> {
        self.decide_contact(actor, case_id, input, ContactStatus::Dismissed)
            .await
    }

    async fn decide_contact(
        &self,
        actor: &Actor,
        case_id: i64,
        input: &ContactInput,
        status: ContactStatus,
    ) -> Result<Contact> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        let now = self.now_ms();
        let mut invalid = Vec::new();
        let person = t
            .briefs(&[input.person_id])
            .await?
            .remove(&input.person_id)
            .ok_or(Error::NotFound)?;
        if person.id == case.person_id {
            invalid.push(("person_id".into(), "is the case's own person".into()));
        }
        let degree = parse_key(
            "degree",
            input.degree.as_deref().unwrap_or("close"),
            ContactType::parse,
            ContactType::keys,
            &mut invalid,
        );
        let setting = parse_key(
            "setting",
            &input.setting,
            ContactSetting::parse,
            ContactSetting::keys,
            &mut invalid,
        );
        let last = parse_at(
            "last_exposure_at",
            &input.last_exposure_at,
            now,
            &mut invalid,
        );
        if input.overlap_minutes.is_some_and(|m| m < 0) {
            invalid.push(("overlap_minutes".into(), "must not be negative".into()));
        }
        let note = short_text("note", input.note.as_deref(), 500, &mut invalid);
        let via = match (degree, input.via_contact_id) {
            (Some(ContactType::Secondary), Some(via)) => match t.contact(case_id, via).await {
                Ok(c) if c.degree == "close" && c.status == "confirmed" => Some(via),
                Ok(_) | Err(fangkong_store::StoreError::NotFound) => {
                    invalid.push((
                        "via_contact_id".into(),
                        "must be a confirmed close contact of this case".into(),
                    ));
                    None
                }
                Err(e) => return Err(e.into()),
            },
            (Some(ContactType::Secondary), None) => {
                invalid.push((
                    "via_contact_id".into(),
                    "a secondary contact names the close contact they were exposed through".into(),
                ));
                None
            }
            (_, Some(_)) => {
                invalid.push((
                    "via_contact_id".into(),
                    "only a secondary contact goes through a close contact".into(),
                ));
                None
            }
            _ => None,
        };
        if let Some(v) = input.venue_id {
            if matches!(t.venue(v).await, Err(fangkong_store::StoreError::NotFound)) {
                invalid.push(("venue_id".into(), "no venue has this id".into()));
            }
        }
        check(invalid)?;
        let (Some(degree), Some(setting), Some(last)) = (degree, setting, last) else {
            return Err(Error::invalid("degree", "is required"));
        };
        let contact_id = t
            .save_contact(&NewContact {
                case_id,
                person_id: person.id,
                community_code: &person.community_code,
                degree: degree.as_str(),
                via_contact_id: via,
                setting: setting.as_str(),
                venue_id: input.venue_id,
                last_exposure_at: last,
                overlap_minutes: input.overlap_minutes,
                status: status.as_str(),
                decided_at: now,
                decided_by: &actor.label(),
                note: note.as_deref(),
            })
            .await?;
        let mut measure_id = None;
        if status == ContactStatus::Confirmed {
            // The contact's measure runs from the day of the last exposure, as the protocol
            // counts quarantine days.
            let facts = Facts {
                contact: Some(degree),
                ..Facts::pocket(Pocket::Contact)
            };
            let system = Actor::system("tracing");
            let source = format!("case:{case_id}");
            match self
                .assign_measure(&system, person.id, &facts, &source, china_day(last))
                .await
            {
                Ok(Some((view, _))) => {
                    measure_id = Some(view.measure.id);
                    let existing = t.contact(case_id, contact_id).await?;
                    if existing.measure_id != Some(view.measure.id) {
                        t.set_contact_measure(contact_id, view.measure.id, now)
                            .await?;
                    }
                }
                Ok(None) => {}
                Err(Error::Invalid(reasons)) => {
                    tracing::warn!(
                        ?reasons,
                        case_id,
                        "no control measure assigned to a contact"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        self.audit(
            actor,
            if status == ContactStatus::Confirmed { "tracing.contact_confirm" } else { "tracing.contact_dismiss" },
            "case",
            Some(case_id.to_string()),
            None,
            json!({"person_id": person.id, "degree": degree.as_str(), "setting": setting.as_str(), "measure_id": measure_id}),
        )
        .await?;
        Ok(t.contact(case_id, contact_id).await?)
    }

    /// Candidate secondary contacts: the household members of the case's confirmed close
    /// contacts who are neither the case's person nor decided on already.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound`.
    pub async fn secondary_candidates(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<Vec<(Contact, PersonBrief)>> {
        actor.require(Permission::TracingRead)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        let contacts = t.contacts(case_id).await?;
        let mut skip: HashSet<i64> = contacts.iter().map(|c| c.person_id).collect();
        skip.insert(case.person_id);
        let close: Vec<&Contact> = contacts
            .iter()
            .filter(|c| c.degree == "close" && c.status == "confirmed")
            .collect();
        let ids: Vec<i64> = close.iter().map(|c| c.person_id).collect();
        let briefs = t.briefs(&ids).await?;
        let mut out = Vec::new();
        for c in close {
            let Some(household) = briefs.get(&c.person_id).and_then(|b| b.household_id) else {
                continue;
            };
            for m in t.household_members(household, c.person_id).await? {
                if skip.insert(m.id) {
                    out.push((c.clone(), m));
                }
            }
        }
        Ok(out)
    }

    /// Marks the case's contact list complete: every confirmed contact must be under a
    /// control measure. The case's "contacts under control" time is the latest of their
    /// control times (the completion itself when there are none).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`; `Invalid` naming the confirmed
    /// contacts without a measure.
    pub async fn complete_contacts(&self, actor: &Actor, case_id: i64) -> Result<Case> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        let case = t.case(&actor.scope, case_id).await?;
        if case.fields.contacts_completed_at.is_some() {
            return Ok(case);
        }
        let confirmed: Vec<Contact> = t
            .contacts(case_id)
            .await?
            .into_iter()
            .filter(|c| c.status == "confirmed")
            .collect();
        let missing: Vec<String> = confirmed
            .iter()
            .filter(|c| c.controlled_at.is_none())
            .map(|c| c.id.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(
                "contacts",
                format!(
                    "confirmed contacts without a control measure: {}",
                    missing.join(", ")
                ),
            ));
        }
        let now = self.now_ms();
        let mut f = case.fields.clone();
        f.contacts_completed_at = Some(now);
        f.contacts_controlled_at = Some(
            confirmed
                .iter()
                .filter_map(|c| c.controlled_at)
                .max()
                .unwrap_or(now),
        );
        let event = NewCaseEvent {
            kind: "contacts_completed",
            from_value: None,
            to_value: Some(confirmed.len().to_string()),
            note: None,
        };
        t.save_case(case_id, &f, &[event], &actor.label(), now)
            .await?;
        self.audit(
            actor,
            "tracing.contacts_complete",
            "case",
            Some(case_id.to_string()),
            None,
            json!({"contacts": confirmed.len()}),
        )
        .await?;
        Ok(t.case(&actor.scope, case_id).await?)
    }

    // ---- Transmission chains ------------------------------------------------------------

    /// Links an infector to an infectee (replacing the infectee's earlier link). Both cases
    /// must be in the actor's jurisdiction; a link that would close a cycle is refused.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`; `Invalid` for bad values or a cycle.
    pub async fn link_cases(&self, actor: &Actor, input: &LinkInput) -> Result<Link> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        t.case(&actor.scope, input.infectee_case_id).await?;
        let mut invalid = Vec::new();
        match t.case(&actor.scope, input.infector_case_id).await {
            Ok(_) => {}
            Err(fangkong_store::StoreError::NotFound) => invalid.push((
                "infector_case_id".into(),
                "no case has this id in your jurisdiction".into(),
            )),
            Err(e) => return Err(e.into()),
        }
        let confidence = parse_key(
            "confidence",
            &input.confidence,
            LinkConfidence::parse,
            || "confirmed, probable, possible".into(),
            &mut invalid,
        );
        let setting = parse_key(
            "setting",
            &input.setting,
            ContactSetting::parse,
            ContactSetting::keys,
            &mut invalid,
        );
        let note = short_text("note", input.note.as_deref(), 500, &mut invalid);
        let links: Vec<ChainLink> = t
            .links()
            .await?
            .iter()
            .filter(|l| l.infectee_case_id != input.infectee_case_id)
            .filter_map(|l| {
                Some(ChainLink {
                    infector: l.infector_case_id,
                    infectee: l.infectee_case_id,
                    confidence: LinkConfidence::parse(&l.confidence)?,
                })
            })
            .collect();
        if chains::would_cycle(&links, input.infector_case_id, input.infectee_case_id) {
            invalid.push((
                "infector_case_id".into(),
                "the link would close a cycle in the chain".into(),
            ));
        }
        check(invalid)?;
        let (Some(confidence), Some(setting)) = (confidence, setting) else {
            return Err(Error::invalid("confidence", "is required"));
        };
        let id = t
            .save_link(&NewLink {
                infector_case_id: input.infector_case_id,
                infectee_case_id: input.infectee_case_id,
                confidence: confidence.as_str(),
                setting: setting.as_str(),
                note: note.as_deref(),
                created_at: self.now_ms(),
                created_by: &actor.label(),
            })
            .await?;
        self.audit(
            actor,
            "tracing.link_save",
            "case",
            Some(input.infectee_case_id.to_string()),
            None,
            json!({"link_id": id, "infector_case_id": input.infector_case_id, "confidence": confidence.as_str()}),
        )
        .await?;
        t.links_of_case(input.infectee_case_id)
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(Error::NotFound)
    }

    /// Removes a link (its infectee must be in the actor's jurisdiction).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.operate`; `NotFound`.
    pub async fn unlink_cases(&self, actor: &Actor, link_id: i64) -> Result<()> {
        actor.require(Permission::TracingOperate)?;
        let t = self.store().tracing();
        let link = t
            .links()
            .await?
            .into_iter()
            .find(|l| l.id == link_id)
            .ok_or(Error::NotFound)?;
        t.case(&actor.scope, link.infectee_case_id).await?;
        t.remove_link(link_id).await?;
        self.audit(
            actor,
            "tracing.link_remove",
            "case",
            Some(link.infectee_case_id.to_string()),
            None,
            json!({"link_id": link_id}),
        )
        .await?;
        Ok(())
    }

    /// The transmission chains: generations and clusters computed over every case and link,
    /// then cut to the clusters that hold a case of the actor's jurisdiction; cases outside
    /// it appear without a name.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`.
    pub async fn chains(&self, actor: &Actor) -> Result<ChainsView> {
        actor.require(Permission::TracingRead)?;
        let t = self.store().tracing();
        let all = t
            .cases(
                &fangkong_domain::Scope::system(),
                &CaseFilter {
                    limit: i64::MAX,
                    ..CaseFilter::default()
                },
            )
            .await?;
        let links = t.links().await?;
        let chain_cases: Vec<ChainCase> = all
            .iter()
            .map(|c| ChainCase {
                id: c.id,
                onset: c.fields.onset_at.map(china_day),
                reported: china_day(c.reported_at),
            })
            .collect();
        let chain_links: Vec<ChainLink> = links
            .iter()
            .filter_map(|l| {
                Some(ChainLink {
                    infector: l.infector_case_id,
                    infectee: l.infectee_case_id,
                    confidence: LinkConfidence::parse(&l.confidence)?,
                })
            })
            .collect();
        let analysis = chains::analyse(&chain_cases, &chain_links)
            .map_err(|e| Error::Conflict(e.to_string()))?;
        let mut cluster_of: HashMap<i64, u32> = HashMap::new();
        for c in &analysis.clusters {
            for id in &c.cases {
                cluster_of.insert(*id, c.id);
            }
        }
        let visible_clusters: HashSet<u32> = all
            .iter()
            .filter(|c| actor.scope.covers(&c.community_code))
            .filter_map(|c| cluster_of.get(&c.id).copied())
            .collect();
        let shown = |c: &Case| {
            actor.scope.covers(&c.community_code)
                || cluster_of
                    .get(&c.id)
                    .is_some_and(|k| visible_clusters.contains(k))
        };
        let by_id: BTreeMap<i64, &Case> =
            all.iter().filter(|c| shown(c)).map(|c| (c.id, c)).collect();
        let nodes = by_id
            .values()
            .map(|c| ChainNode {
                case_id: c.id,
                label: actor
                    .scope
                    .covers(&c.community_code)
                    .then(|| fangkong_domain::mask::mask_name(&c.person_name)),
                classification: c.fields.classification.clone(),
                community_code: c.community_code.clone(),
                onset: c.fields.onset_at.map(china_day),
                reported: china_day(c.reported_at),
                generation: analysis.generation.get(&c.id).copied().unwrap_or(1),
                cluster: cluster_of.get(&c.id).copied(),
            })
            .collect();
        let serial: HashMap<(i64, i64), i64> = analysis
            .serial_intervals
            .iter()
            .map(|s| ((s.infector, s.infectee), s.days))
            .collect();
        let edges = links
            .iter()
            .filter(|l| {
                by_id.contains_key(&l.infector_case_id) && by_id.contains_key(&l.infectee_case_id)
            })
            .map(|l| ChainEdge {
                link_id: l.id,
                infector: l.infector_case_id,
                infectee: l.infectee_case_id,
                confidence: l.confidence.clone(),
                setting: l.setting.clone(),
                serial_days: serial
                    .get(&(l.infector_case_id, l.infectee_case_id))
                    .copied(),
            })
            .collect();
        let clusters = analysis
            .clusters
            .into_iter()
            .filter(|c| visible_clusters.contains(&c.id))
            .collect();
        Ok(ChainsView {
            nodes,
            edges,
            clusters,
            serial: analysis.serial_summary,
        })
    }

    /// The chain graph as GraphML or CSV (`format` `graphml` or `csv`). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `Invalid` for another format.
    pub async fn export_chains(&self, actor: &Actor, format: &str) -> Result<Vec<u8>> {
        let view = self.chains(actor).await?;
        let nodes: Vec<fangkong_ingest::GraphNode> = view
            .nodes
            .iter()
            .map(|n| fangkong_ingest::GraphNode {
                id: n.case_id,
                label: n.label.clone().unwrap_or_else(|| format!("#{}", n.case_id)),
                classification: n.classification.clone(),
                community: n.community_code.clone(),
                onset: n.onset,
                reported: n.reported,
                generation: n.generation,
                cluster: n.cluster,
            })
            .collect();
        let edges: Vec<fangkong_ingest::GraphEdge> = view
            .edges
            .iter()
            .map(|e| fangkong_ingest::GraphEdge {
                source: e.infector,
                target: e.infectee,
                confidence: e.confidence.clone(),
                setting: e.setting.clone(),
                serial_days: e.serial_days,
            })
            .collect();
        let bytes = match format {
            "graphml" => fangkong_ingest::write_graphml(&nodes, &edges).into_bytes(),
            "csv" => fangkong_ingest::write_chain_csv(&nodes, &edges),
            "xlsx" => fangkong_ingest::graph::write_chain_table(
                fangkong_ingest::export::ExportFormat::Xlsx,
                &nodes,
                &edges,
            )
            .map_err(|e| Error::invalid("format", e.to_string()))?,
            _ => return Err(Error::invalid("format", "must be graphml, csv or xlsx")),
        };
        self.audit(
            actor,
            "tracing.chains_export",
            "chains",
            None,
            None,
            json!({"format": format, "cases": nodes.len(), "links": edges.len()}),
        )
        .await?;
        Ok(bytes)
    }

    // ---- Timeliness ---------------------------------------------------------------------

    /// Tracing timeliness by county over the cases reported since `since_ms`: hours from
    /// report to the itinerary complete and to every contact under control (median and the
    /// number within 24 hours), with the total of the actor's jurisdiction first.
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`.
    pub async fn tracing_timeliness(
        &self,
        actor: &Actor,
        since_ms: i64,
    ) -> Result<Vec<TimelinessRow>> {
        actor.require(Permission::TracingRead)?;
        let cases = self
            .store()
            .tracing()
            .cases(
                &actor.scope,
                &CaseFilter {
                    reported_since: Some(since_ms),
                    limit: i64::MAX,
                    ..CaseFilter::default()
                },
            )
            .await?;
        let mut groups: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
        for c in &cases {
            groups
                .entry(c.community_code.chars().take(6).collect())
                .or_default()
                .push(c);
        }
        let codes: Vec<&str> = groups.keys().map(String::as_str).collect();
        let names = self.store().jurisdictions().get_many(&codes).await?;
        let row = |code: String, name: String, cs: &[&Case]| {
            let mut it: Vec<f64> = cs
                .iter()
                .filter_map(|c| case_timeliness(c).itinerary_hours)
                .collect();
            let mut ct: Vec<f64> = cs
                .iter()
                .filter_map(|c| case_timeliness(c).contacts_hours)
                .collect();
            TimelinessRow {
                code,
                name,
                cases: cs.len() as u64,
                itinerary_done: it.len() as u64,
                itinerary_within_24h: it.iter().filter(|h| **h <= TIMELY_HOURS).count() as u64,
                itinerary_median_hours: median(&mut it),
                contacts_done: ct.len() as u64,
                contacts_within_24h: ct.iter().filter(|h| **h <= TIMELY_HOURS).count() as u64,
                contacts_median_hours: median(&mut ct),
            }
        };
        let all: Vec<&Case> = cases.iter().collect();
        let mut out = vec![row(String::new(), String::new(), &all)];
        for (code, cs) in &groups {
            out.push(row(
                code.clone(),
                names.get(code).map(|j| j.name.clone()).unwrap_or_default(),
                cs,
            ));
        }
        Ok(out)
    }
}
