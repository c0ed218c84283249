//! Inbound control's people: travel entries (来驻返驻), the control measures the policy
//! assigns, their lifecycle (assigned → active → released / escalated), due tests and daily
//! health checks, personal links, notices, re-evaluation when a designation or a policy
//! version changes, and the pocket board.
//!
//! Every arrival is classified by [`Classifier`] (one read of the policies and designations
//! for a whole list); the version, the rule and its explanation are stored with the measure.
//! Due tests are read from the testing module's samples of the person (a sample collected on
//! the day, with its tube's latest result), so a test taken at any sampling site counts.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::Engine as _;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use fangkong_domain::policy::{
    self, AreaRisk, ContactType, Facts, Pocket, Stage, StageKind, Vaccination,
};
use fangkong_domain::{Origin, Permission};
use fangkong_ingest::{RowError, TravelRecord, TravelSource};
use fangkong_store::measures::{
    Arrival, HealthCheck, Measure, MeasureFields, MeasureFilter, NewHealthCheck, NewReview,
    PersonSample, Review, ReviewSubject, TravelEntry, TravelFields,
};
use fangkong_store::persons::NewPerson;
use rayon::prelude::*;

use crate::inbound::{Classified, Classifier};
use crate::jurisdictions::file_errors;
use crate::testing::schedules::china_day_start_ms;
use crate::{Actor, App, Error, Result};

/// Body temperature (°C) from which a health check counts as fever.
pub const FEVER_CELSIUS: f64 = 37.3;
/// Symptoms a health check may report.
pub const SYMPTOMS: [&str; 6] = [
    "fever",
    "cough",
    "sore_throat",
    "fatigue",
    "loss_of_taste_smell",
    "diarrhoea",
];
/// How long a personal health-check link stays valid.
pub const LINK_DAYS: i64 = 14;
/// Arrivals without a measure from this many days back are re-evaluated on a change.
pub const ARRIVAL_REVIEW_DAYS: i64 = 14;
/// Measures listed on a page or returned by the API at most.
pub const LIST_LIMIT: i64 = 1000;

/// An arrival reported through the API or a form.
pub type ArrivalFields<'a> = [(&'a str, &'a str)];

/// What recording arrivals did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrivalsOutcome {
    pub rows: u64,
    pub persons_created: u64,
    pub persons_updated: u64,
    pub entries_created: u64,
    pub entries_merged: u64,
    pub entries_unchanged: u64,
    pub measures_created: u64,
    /// Arrivals by the rule that classified them.
    pub by_rule: BTreeMap<String, u64>,
    /// Milliseconds spent classifying (policies and designations read once).
    pub classify_ms: u64,
    /// The first arrival's entry id (for a single report).
    pub first_entry_id: Option<i64>,
}

/// The state of one due test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestState {
    /// A sample of the day has a negative result.
    Negative,
    Positive,
    Inconclusive,
    /// Sampled, no result yet.
    Pending,
    /// The day passed without a sample.
    Missed,
    /// Due today, not yet sampled.
    DueToday,
    Upcoming,
}

impl TestState {
    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            TestState::Negative => "negative",
            TestState::Positive => "positive",
            TestState::Inconclusive => "inconclusive",
            TestState::Pending => "pending",
            TestState::Missed => "missed",
            TestState::DueToday => "due_today",
            TestState::Upcoming => "upcoming",
        }
    }
}

/// One test of a measure's regime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTest {
    /// Day of the measure, 1-based.
    pub day: u32,
    pub date: NaiveDate,
    pub state: TestState,
    /// The tube of the sample that decided the state.
    pub tube_code: Option<String>,
}

/// Why a measure cannot be released yet.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    NotActive {
        status: String,
    },
    NotEnded {
        ends_on: NaiveDate,
    },
    Test {
        day: u32,
        date: NaiveDate,
        state: TestState,
    },
    NoFinalHealthCheck {
        date: NaiveDate,
    },
    Fever {
        date: NaiveDate,
        temperature: f64,
    },
    Symptoms {
        date: NaiveDate,
        symptoms: String,
    },
}

impl Blocker {
    /// The conflict refusing the release of `what` (e.g. `measure 12`), naming every blocker.
    pub fn refusal(what: &str, blockers: &[Blocker]) -> Error {
        Error::Conflict(format!(
            "{what} cannot be released: {}",
            blockers
                .iter()
                .map(Blocker::text_en)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }

    /// In English.
    pub fn text_en(&self) -> String {
        match self {
            Blocker::NotActive { status } => format!("the measure is {status}, not active"),
            Blocker::NotEnded { ends_on } => format!("the measure runs until {ends_on}"),
            Blocker::Test { day, date, state } => {
                format!("the test of day {day} ({date}) is {}", state.as_str())
            }
            Blocker::NoFinalHealthCheck { date } => {
                format!("no health check on {date}, the last day")
            }
            Blocker::Fever { date, temperature } => {
                format!("fever of {temperature:.1} °C reported on {date}")
            }
            Blocker::Symptoms { date, symptoms } => {
                format!("symptoms reported on {date}: {symptoms}")
            }
        }
    }

    /// In Chinese.
    pub fn text_zh(&self) -> String {
        match self {
            Blocker::NotActive { status } => format!("管控状态为{status}，未在管控中"),
            Blocker::NotEnded { ends_on } => format!("管控期至{ends_on}"),
            Blocker::Test { day, date, state } => {
                let state = match state {
                    TestState::Positive => "阳性",
                    TestState::Inconclusive => "结果可疑",
                    TestState::Pending => "待出结果",
                    TestState::Missed => "漏检",
                    TestState::DueToday => "今日待检",
                    TestState::Upcoming => "未到检测日",
                    TestState::Negative => "阴性",
                };
                format!("第{day}天（{date}）核酸检测{state}")
            }
            Blocker::NoFinalHealthCheck { date } => format!("末日（{date}）未报健康监测"),
            Blocker::Fever { date, temperature } => {
                format!("{date}体温{temperature:.1}℃")
            }
            Blocker::Symptoms { date, symptoms } => format!("{date}报告症状：{symptoms}"),
        }
    }
}

/// A measure with its plan worked out for today.
#[derive(Debug, Clone)]
pub struct MeasureView {
    pub measure: Measure,
    pub plan: policy::Measure,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Today's day of the measure (1-based), when today lies in it.
    pub day_today: Option<u32>,
    /// The stage today, when today lies in one.
    pub stage_today: Option<StageKind>,
    pub tests: Vec<DueTest>,
    pub checks: Vec<HealthCheck>,
    /// Days from the start to yesterday (or the last day) without a health check.
    pub missed_checks: Vec<NaiveDate>,
    /// Empty when the measure may be released now.
    pub blockers: Vec<Blocker>,
}

impl MeasureView {
    /// Whether any test was missed or any check was missed.
    pub fn overdue(&self) -> bool {
        !self.missed_checks.is_empty() || self.tests.iter().any(|t| t.state == TestState::Missed)
    }
}

/// Encodes stages as `kind:days,...`.
pub fn encode_stages(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| format!("{}:{}", s.kind.as_str(), s.days))
        .collect::<Vec<_>>()
        .join(",")
}

fn encode_days(days: &[u32]) -> String {
    days.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Decodes a stored measure plan.
///
/// # Errors
/// `Store(Corrupt)` for a plan this version cannot read.
pub fn decode_plan(stages: &str, test_days: &str) -> Result<policy::Measure> {
    let corrupt = || {
        Error::Store(fangkong_store::StoreError::Corrupt(format!(
            "measure plan {stages:?}"
        )))
    };
    let stages = stages
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (kind, days) = s.split_once(':').ok_or_else(corrupt)?;
            Ok(Stage {
                kind: StageKind::parse(kind).ok_or_else(corrupt)?,
                days: days.parse().map_err(|_| corrupt())?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let test_days = test_days
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|d| d.parse().map_err(|_| corrupt()))
        .collect::<Result<Vec<u32>>>()?;
    Ok(policy::Measure { stages, test_days })
}

/// The last day of a plan starting on `starts_on`.
pub fn last_day(plan: &policy::Measure, starts_on: NaiveDate) -> NaiveDate {
    let days = plan
        .total_days()
        .max(plan.test_days.iter().copied().max().unwrap_or(1))
        .max(1);
    starts_on + Duration::days(i64::from(days) - 1)
}

/// Parses a stored `YYYY-MM-DD` day.
///
/// # Errors
/// `Store(Corrupt)` for anything else.
pub(crate) fn parse_day(text: &str) -> Result<NaiveDate> {
    day(text)
}

fn day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Error::Store(fangkong_store::StoreError::Corrupt(format!(
            "date {text:?}"
        )))
    })
}

fn china_day_of(ms: i64) -> NaiveDate {
    let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    crate::clock::china_date(at)
}

/// The facts a measure was classified on, with the origin's risk as stored.
fn stored_facts(m: &Measure) -> Facts {
    Facts {
        pocket: Pocket::parse(&m.pocket).unwrap_or(Pocket::Domestic),
        origin_risk: m.origin_risk.as_deref().and_then(AreaRisk::parse),
        days_since_left: None,
        contact: m.contact.as_deref().and_then(ContactType::parse),
        vaccination: m.vaccination.as_deref().and_then(Vaccination::parse),
        occupation: m.occupation.clone(),
    }
}

/// What classifying one arrival needs and gives.
struct Assessed {
    fields: Option<MeasureFields>,
    rule_id: String,
}

/// Classifies facts about a person arriving (or exposed) on `on`, deriving the origin's risk
/// from the designations when the origin is a place in China, and builds the measure to
/// store (none when the policy prescribes no control).
#[allow(clippy::too_many_arguments)]
fn assess(
    classifier: &Classifier,
    mut facts: Facts,
    origin: Option<&Origin>,
    origin_address: Option<&str>,
    departed_on: Option<NaiveDate>,
    on: NaiveDate,
    version: Option<&str>,
) -> Result<(Classified, MeasureFields)> {
    // A person who did not say when they left left on the day they arrived.
    let left = departed_on.unwrap_or(on);
    if facts.days_since_left.is_none() && origin.is_some() {
        facts.days_since_left = u32::try_from((on - left).num_days()).ok();
    }
    if let Some(Origin::Domestic(code)) = origin {
        if facts.origin_risk.is_none() {
            facts.origin_risk = classifier
                .origin_area(code.as_str(), origin_address, left)
                .and_then(|a| AreaRisk::parse(&a.level));
        }
    }
    let classified = match version {
        Some(v) => classifier
            .classify_with(v, &facts)
            .ok_or_else(|| Error::invalid("version", format!("unknown policy version {v}")))?,
        None => classifier.classify(&facts, on)?,
    };
    let plan = &classified.classification.measure;
    let explanation = &classified.classification.explanation;
    let fields = MeasureFields {
        pocket: facts.pocket.as_str().to_string(),
        origin: origin.map(Origin::as_key),
        origin_address: origin_address.map(str::to_string),
        departed_on: departed_on.map(|d| d.to_string()),
        origin_risk: facts.origin_risk.map(|r| r.as_str().to_string()),
        contact: facts.contact.map(|c| c.as_str().to_string()),
        vaccination: facts.vaccination.map(|v| v.as_str().to_string()),
        occupation: facts.occupation.clone(),
        policy_version: classified.version.clone(),
        rule_id: explanation.rule_id.clone(),
        stages: encode_stages(&plan.stages),
        test_days: encode_days(&plan.test_days),
        explanation_zh: explanation.text_zh(),
        explanation_en: explanation.text_en(),
        starts_on: on.to_string(),
        ends_on: last_day(plan, on).to_string(),
    };
    Ok((classified, fields))
}

fn assess_arrival(classifier: &Classifier, r: &TravelRecord) -> Result<Assessed> {
    let pocket = if r.origin.is_abroad() {
        Pocket::International
    } else {
        Pocket::Domestic
    };
    let facts = Facts {
        vaccination: r.vaccination,
        occupation: r.occupation.clone(),
        ..Facts::pocket(pocket)
    };
    let on = fangkong_ingest::travel::china_day(r.arrived_at);
    let (classified, fields) = assess(
        classifier,
        facts,
        Some(&r.origin),
        r.origin_address.as_deref(),
        r.departed_on,
        on,
        None,
    )?;
    let plan = &classified.classification.measure;
    let none = plan.stages.is_empty() && plan.test_days.is_empty();
    Ok(Assessed {
        rule_id: fields.rule_id.clone(),
        fields: (!none).then_some(fields),
    })
}

fn new_person(r: &TravelRecord) -> NewPerson {
    let p = &r.person;
    NewPerson {
        document: p.document.clone(),
        name: p.name.clone(),
        sex: p.sex,
        birth_date: p.birth_date,
        phone: p.phone.clone(),
        address: p.address.clone(),
        community_code: p.community_code.clone(),
        household_id: None,
        workplace_id: None,
        school_id: None,
        occupation: r.occupation.clone(),
        tags: p.tags.clone(),
        synthetic: false,
    }
}

impl App {
    /// Records arrivals from a traveller list (CSV/XLSX; `fangkong_ingest::parse_travel`):
    /// all rows or none. Each traveller is registered (or updated) by document, each arrival
    /// stored (a repeat of the same person, origin and day merges into the stored one) and
    /// classified by the policy in force on the arrival day, and a measure assigned when the
    /// policy prescribes one. Re-importing the same list changes nothing. Audited with the
    /// counts.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate` and `persons.write`; `Import` naming every bad
    /// value, unknown or out-of-scope communities and unknown origin codes in Henan among
    /// them; `Invalid` when no policy is in force on an arrival day.
    pub async fn import_travel(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ArrivalsOutcome> {
        crate::telemetry::measured(
            "travel",
            self.import_travel_unmeasured(actor, file_name, bytes),
        )
        .await
    }

    /// [`App::import_travel`] without its metrics.
    async fn import_travel_unmeasured(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ArrivalsOutcome> {
        actor.require(Permission::InboundOperate)?;
        actor.require(Permission::PersonsWrite)?;
        let records = fangkong_ingest::parse_travel(file_name, bytes, self.clock_now())
            .map_err(Error::Import)?;
        let outcome = self
            .record_arrivals(actor, file_name, &records, TravelSource::FileImport)
            .await?;
        self.audit(
            actor,
            "inbound.travel_import",
            "file",
            Some(file_name.to_string()),
            None,
            serde_json::json!({
                "rows": outcome.rows, "entries_created": outcome.entries_created,
                "entries_merged": outcome.entries_merged,
                "measures_created": outcome.measures_created,
            }),
        )
        .await?;
        Ok(outcome)
    }

    /// Records one arrival reported through the API, a checkpoint or a self-report form
    /// (fields as the columns of a traveller list; `source` defaults to `default_source`).
    ///
    /// # Errors
    /// As [`App::import_travel`], with `Invalid` naming each bad field.
    pub async fn report_arrival(
        &self,
        actor: &Actor,
        fields: &ArrivalFields<'_>,
        default_source: TravelSource,
    ) -> Result<ArrivalsOutcome> {
        actor.require(Permission::InboundOperate)?;
        actor.require(Permission::PersonsWrite)?;
        let record =
            fangkong_ingest::parse_travel_fields(fields, self.clock_now()).map_err(|errors| {
                Error::Invalid(errors.into_iter().map(|e| (e.field, e.reason)).collect())
            })?;
        if !actor.scope.covers(record.person.community_code.as_str()) {
            return Err(Error::Forbidden);
        }
        let outcome = self
            .record_arrivals(
                actor,
                "request",
                std::slice::from_ref(&record),
                default_source,
            )
            .await
            .map_err(|e| match e {
                Error::Import(f) => {
                    Error::Invalid(f.errors.into_iter().map(|e| (e.field, e.reason)).collect())
                }
                other => other,
            })?;
        self.audit(
            actor,
            "inbound.arrival_report",
            "travel_entry",
            outcome.first_entry_id.map(|id| id.to_string()),
            None,
            serde_json::json!({
                "origin": record.origin.as_key(),
                "measures_created": outcome.measures_created,
            }),
        )
        .await?;
        Ok(outcome)
    }

    fn clock_now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }

    async fn record_arrivals(
        &self,
        actor: &Actor,
        file_name: &str,
        records: &[TravelRecord],
        default_source: TravelSource,
    ) -> Result<ArrivalsOutcome> {
        // Communities must exist and lie in the actor's jurisdiction; a Henan origin must be
        // a known place (other provinces' codes are checked by form only).
        let mut codes: HashSet<&str> = records
            .iter()
            .map(|r| r.person.community_code.as_str())
            .collect();
        let henan: Vec<String> = records
            .iter()
            .filter_map(|r| match &r.origin {
                Origin::Domestic(c) if c.as_str().starts_with("41") => Some(c.as_str().to_string()),
                _ => None,
            })
            .collect();
        codes.extend(henan.iter().map(String::as_str));
        let codes: Vec<&str> = codes.into_iter().collect();
        let existing = self.store().jurisdictions().existing(&codes).await?;
        let mut errors = Vec::new();
        for r in records {
            let code = r.person.community_code.as_str();
            if !actor.scope.covers(code) {
                errors.push(RowError::new(
                    r.line,
                    "community_code",
                    "outside your jurisdiction",
                ));
            } else if !existing.contains(code) {
                errors.push(RowError::new(
                    r.line,
                    "community_code",
                    format!("community {code} does not exist"),
                ));
            }
            if let Origin::Domestic(c) = &r.origin {
                if c.as_str().starts_with("41") && !existing.contains(c.as_str()) {
                    errors.push(RowError::new(
                        r.line,
                        "origin",
                        format!("unknown place {}", c.as_str()),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(file_errors(file_name, errors));
        }
        let started = std::time::Instant::now();
        let classifier = self.classifier().await?;
        let persons = self.store().persons();
        let assessed: Vec<(Arrival, String)> = records
            .par_iter()
            .map(|r| {
                let a = assess_arrival(&classifier, r)?;
                let arrival_day = fangkong_ingest::travel::china_day(r.arrived_at);
                Ok((
                    Arrival {
                        person: persons.prepare(&new_person(r)),
                        travel: TravelFields {
                            pocket: if r.origin.is_abroad() {
                                "international"
                            } else {
                                "domestic"
                            }
                            .to_string(),
                            origin: r.origin.as_key(),
                            origin_address: r.origin_address.clone(),
                            route: r.route.clone(),
                            departed_on: r.departed_on.map(|d| d.to_string()),
                            arrived_at: r.arrived_at.timestamp_millis(),
                            arrival_day: arrival_day.to_string(),
                            community_code: r.person.community_code.as_str().to_string(),
                            source: r.source.unwrap_or(default_source).as_str().to_string(),
                            vaccination: r.vaccination.map(|v| v.as_str().to_string()),
                            occupation: r.occupation.clone(),
                        },
                        measure: a.fields,
                    },
                    a.rule_id,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let classify_ms = started.elapsed().as_millis() as u64;
        let mut by_rule = BTreeMap::new();
        let arrivals: Vec<Arrival> = assessed
            .into_iter()
            .map(|(a, rule)| {
                *by_rule.entry(rule).or_insert(0) += 1;
                a
            })
            .collect();
        let done = self
            .store()
            .measures()
            .record_arrivals(&actor.scope, &arrivals, &actor.label(), self.now_ms())
            .await?;
        Ok(ArrivalsOutcome {
            rows: records.len() as u64,
            persons_created: done.persons_created,
            persons_updated: done.persons_updated,
            entries_created: done.entries_created,
            entries_merged: done.entries_merged,
            entries_unchanged: done.entries_unchanged,
            measures_created: done.measures_created,
            by_rule,
            classify_ms,
            first_entry_id: done.entry_ids.first().copied(),
        })
    }

    /// Travel entries in the actor's jurisdiction (or `within` it), newest first.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn travel_entries(
        &self,
        actor: &Actor,
        within: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TravelEntry>> {
        actor.require(Permission::InboundRead)?;
        Ok(self
            .store()
            .measures()
            .travel_entries(&actor.scope, within, limit.clamp(1, LIST_LIMIT))
            .await?)
    }

    /// Assigns a measure to a registered person for a reason other than an arrival: a
    /// contact (`contact` set), a cold-chain exposure or a fever-clinic visit (`pocket`).
    /// `source_ref` names the reason; the same person and reason is assigned once. Day 1 is
    /// `starts_on`. Audited.
    ///
    /// Returns the measure and whether it was created now (`None` when the policy
    /// prescribes no control).
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` for a person outside the
    /// jurisdiction; `Invalid` for an empty reason or no policy in force.
    pub async fn assign_measure(
        &self,
        actor: &Actor,
        person_id: i64,
        facts: &Facts,
        source_ref: &str,
        starts_on: NaiveDate,
    ) -> Result<Option<(MeasureView, bool)>> {
        actor.require(Permission::InboundOperate)?;
        if source_ref.trim().is_empty() {
            return Err(Error::invalid("source_ref", "must not be empty"));
        }
        // The person must be in the actor's jurisdiction before anything is decided.
        self.store().persons().find(&actor.scope, person_id).await?;
        let classifier = self.classifier().await?;
        let (classified, fields) = assess(
            &classifier,
            facts.clone(),
            None,
            None,
            None,
            starts_on,
            None,
        )?;
        let plan = &classified.classification.measure;
        if plan.stages.is_empty() && plan.test_days.is_empty() {
            return Ok(None);
        }
        let (id, created) = self
            .store()
            .measures()
            .assign(
                &actor.scope,
                person_id,
                source_ref.trim(),
                &fields,
                self.now_ms(),
            )
            .await?;
        if created {
            self.audit(
                actor,
                "inbound.measure_assign",
                "measure",
                Some(id.to_string()),
                None,
                serde_json::json!({ "person_id": person_id, "source_ref": source_ref,
                                    "rule": fields.rule_id }),
            )
            .await?;
        }
        Ok(Some((self.measure(actor, id).await?, created)))
    }

    /// One measure in the actor's jurisdiction, worked out for today.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `NotFound` outside the jurisdiction.
    pub async fn measure(&self, actor: &Actor, id: i64) -> Result<MeasureView> {
        actor.require(Permission::InboundRead)?;
        let m = self.store().measures().measure(&actor.scope, id).await?;
        let mut views = self.views(vec![m]).await?;
        views.pop().ok_or(Error::NotFound)
    }

    /// Measures in the actor's jurisdiction (or `within` it), worked out for today: open
    /// ones only, or all.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn measures(
        &self,
        actor: &Actor,
        within: Option<&str>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<MeasureView>> {
        actor.require(Permission::InboundRead)?;
        let statuses: &[&str] = if open_only {
            &["assigned", "active"]
        } else {
            &[]
        };
        let rows = self
            .store()
            .measures()
            .measures(
                &actor.scope,
                &MeasureFilter {
                    statuses,
                    within,
                    person_id: None,
                    limit,
                },
            )
            .await?;
        self.views(rows).await
    }

    /// Works out measures for today: due tests from the persons' samples, health checks,
    /// missed checks and what stands in the way of release.
    async fn views(&self, rows: Vec<Measure>) -> Result<Vec<MeasureView>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let today = self.today();
        let mut persons: Vec<i64> = rows.iter().map(|m| m.person_id).collect();
        persons.sort_unstable();
        persons.dedup();
        let from = rows
            .iter()
            .filter_map(|m| NaiveDate::parse_from_str(&m.starts_on, "%Y-%m-%d").ok())
            .min()
            .unwrap_or(today);
        let to = rows
            .iter()
            .filter_map(|m| NaiveDate::parse_from_str(&m.ends_on, "%Y-%m-%d").ok())
            .max()
            .unwrap_or(today);
        let samples = self
            .store()
            .measures()
            .samples(
                &persons,
                china_day_start_ms(from),
                china_day_start_ms(to + Duration::days(1)),
            )
            .await?;
        let mut by_person_day: HashMap<(i64, NaiveDate), Vec<&PersonSample>> = HashMap::new();
        for s in &samples {
            by_person_day
                .entry((s.person_id, china_day_of(s.collected_at)))
                .or_default()
                .push(s);
        }
        let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
        let mut checks: HashMap<i64, Vec<HealthCheck>> = HashMap::new();
        for c in self.store().measures().health_checks(&ids).await? {
            checks.entry(c.measure_id).or_default().push(c);
        }
        rows.into_iter()
            .map(|m| {
                let checks = checks.remove(&m.id).unwrap_or_default();
                view(m, checks, &by_person_day, today)
            })
            .collect()
    }

    /// Activates an assigned measure: the community has reached the person and the measure
    /// runs. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` outside the jurisdiction; `Conflict`
    /// unless it is assigned.
    pub async fn activate_measure(&self, actor: &Actor, id: i64) -> Result<MeasureView> {
        actor.require(Permission::InboundOperate)?;
        self.store()
            .measures()
            .set_status(
                &actor.scope,
                id,
                &["assigned"],
                "active",
                self.now_ms(),
                None,
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            "inbound.measure_activate",
            "measure",
            Some(id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await?;
        self.measure(actor, id).await
    }

    /// Releases an active measure whose criteria are all met: its last day has come, every
    /// test of the regime is negative, and a health check of the last day (or later)
    /// reports no fever and no symptom. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` outside the jurisdiction; `Conflict`
    /// listing every unmet criterion.
    pub async fn release_measure(&self, actor: &Actor, id: i64) -> Result<MeasureView> {
        actor.require(Permission::InboundOperate)?;
        let view = self.measure(actor, id).await?;
        if !view.blockers.is_empty() {
            return Err(Blocker::refusal(&format!("measure {id}"), &view.blockers));
        }
        self.store()
            .measures()
            .set_status(
                &actor.scope,
                id,
                &["active"],
                "released",
                self.now_ms(),
                Some("criteria met"),
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            "inbound.measure_release",
            "measure",
            Some(id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await?;
        self.measure(actor, id).await
    }

    /// Escalates an open measure (e.g. to a case, or to hospital) with the reason. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `Invalid` for an empty reason; `NotFound`
    /// outside the jurisdiction; `Conflict` unless it is open.
    pub async fn escalate_measure(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> Result<MeasureView> {
        actor.require(Permission::InboundOperate)?;
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "must not be empty"));
        }
        self.store()
            .measures()
            .set_status(
                &actor.scope,
                id,
                &["assigned", "active"],
                "escalated",
                self.now_ms(),
                Some(reason.trim()),
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            "inbound.measure_escalate",
            "measure",
            Some(id.to_string()),
            None,
            serde_json::json!({ "reason": reason.trim() }),
        )
        .await?;
        self.measure(actor, id).await
    }

    /// Records a health check by staff for an open measure on `day` (today when `None`).
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` outside the jurisdiction; `Invalid`
    /// for a temperature outside 34–43 °C, an unknown symptom or a day outside the measure
    /// or after today; `Conflict` when the measure is closed.
    pub async fn record_health_check(
        &self,
        actor: &Actor,
        id: i64,
        day: Option<NaiveDate>,
        temperature: f64,
        symptoms: &[String],
    ) -> Result<MeasureView> {
        actor.require(Permission::InboundOperate)?;
        let m = self.store().measures().measure(&actor.scope, id).await?;
        self.store_check(&m, day, temperature, symptoms, "staff", &actor.label())
            .await?;
        self.measure(actor, id).await
    }

    pub(crate) async fn store_check(
        &self,
        m: &Measure,
        day_given: Option<NaiveDate>,
        temperature: f64,
        symptoms: &[String],
        reported_by: &str,
        reporter: &str,
    ) -> Result<()> {
        if !m.is_open() {
            return Err(Error::Conflict(format!("measure {} is {}", m.id, m.status)));
        }
        let today = self.today();
        let on = day_given.unwrap_or(today);
        let mut invalid = Vec::new();
        if !(34.0..=43.0).contains(&temperature) || temperature.is_nan() {
            invalid.push((
                "temperature".to_string(),
                "must be between 34 and 43 °C".to_string(),
            ));
        }
        for s in symptoms {
            if !SYMPTOMS.contains(&s.as_str()) {
                invalid.push((
                    "symptoms".to_string(),
                    format!(
                        "unknown symptom {s:?}; expected one of {}",
                        SYMPTOMS.join(", ")
                    ),
                ));
            }
        }
        if on > today || on < day(&m.starts_on)? || on > day(&m.ends_on)? {
            invalid.push((
                "day".to_string(),
                format!(
                    "must lie between {} and {} and not after today",
                    m.starts_on,
                    m.ends_on.as_str().min(today.to_string().as_str())
                ),
            ));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let mut symptoms: Vec<&str> = symptoms.iter().map(String::as_str).collect();
        symptoms.sort_unstable();
        symptoms.dedup();
        self.store()
            .measures()
            .record_health_check(&NewHealthCheck {
                measure_id: m.id,
                day: &on.to_string(),
                temperature,
                symptoms: &symptoms.join(","),
                reported_by,
                reporter,
                recorded_at: self.now_ms(),
            })
            .await?;
        Ok(())
    }

    /// A personal link for a measure's person and household to report health checks
    /// without an account: `m<id>.<expiry ms>.<signature>`, valid [`LINK_DAYS`] days, for
    /// sending by SMS. Audited (the link reveals the household's masked names).
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` outside the jurisdiction.
    pub async fn personal_link(&self, actor: &Actor, id: i64) -> Result<(String, i64)> {
        actor.require(Permission::InboundOperate)?;
        let m = self.store().measures().measure(&actor.scope, id).await?;
        let expires = self.now_ms() + LINK_DAYS * 86_400_000;
        let payload = format!("m{}.{expires}", m.id);
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.store().sign_link(payload.as_bytes()));
        self.audit(
            actor,
            "inbound.link_issue",
            "measure",
            Some(id.to_string()),
            None,
            serde_json::json!({ "expires_at": expires }),
        )
        .await?;
        Ok((format!("{payload}.{sig}"), expires))
    }

    /// The open measures a personal link reaches: its person's, and those of the person's
    /// household.
    ///
    /// # Errors
    /// `Unauthenticated` for a link that is malformed, forged or expired.
    pub async fn link_measures(&self, token: &str) -> Result<Vec<MeasureView>> {
        let measure_id = self.verify_link(token)?;
        let anyone = fangkong_domain::Scope::system();
        let m = self
            .store()
            .measures()
            .measure(&anyone, measure_id)
            .await
            .map_err(|_| Error::Unauthenticated)?;
        let rows = match m.household_id {
            Some(h) => self.store().measures().household_open(h).await?,
            None if m.is_open() => vec![m],
            None => Vec::new(),
        };
        self.views(rows).await
    }

    /// Records a health check through a personal link, for the link's person (`self`) or a
    /// member of the household (`household`), today.
    ///
    /// # Errors
    /// `Unauthenticated` for a bad link; `NotFound` when the measure is not one the link
    /// reaches; `Invalid` for bad values.
    pub async fn link_health_check(
        &self,
        token: &str,
        measure_id: i64,
        temperature: f64,
        symptoms: &[String],
    ) -> Result<()> {
        let own = self.verify_link(token)?;
        let reachable = self.link_measures(token).await?;
        let m = reachable
            .into_iter()
            .find(|v| v.measure.id == measure_id)
            .ok_or(Error::NotFound)?
            .measure;
        let by = if measure_id == own {
            "self"
        } else {
            "household"
        };
        self.store_check(&m, None, temperature, symptoms, by, &format!("link:m{own}"))
            .await?;
        self.audit(
            &Actor::system("personal-link"),
            "inbound.link_health_check",
            "measure",
            Some(measure_id.to_string()),
            None,
            serde_json::json!({ "link_measure": own, "reported_by": by }),
        )
        .await?;
        Ok(())
    }

    fn verify_link(&self, token: &str) -> Result<i64> {
        let mut parts = token.rsplitn(2, '.');
        let (Some(sig), Some(payload)) = (parts.next(), parts.next()) else {
            return Err(Error::Unauthenticated);
        };
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Error::Unauthenticated)?;
        if !self.store().verify_link(payload.as_bytes(), &sig) {
            return Err(Error::Unauthenticated);
        }
        let (id, expires) = payload
            .strip_prefix('m')
            .and_then(|p| p.split_once('.'))
            .ok_or(Error::Unauthenticated)?;
        let expires: i64 = expires.parse().map_err(|_| Error::Unauthenticated)?;
        if expires < self.now_ms() {
            return Err(Error::Unauthenticated);
        }
        id.parse().map_err(|_| Error::Unauthenticated)
    }

    /// Re-evaluates every open measure after a change: the facts it was classified on are
    /// classified again with today's designations (under `version` when a policy version
    /// was loaded, else the version in force on its first day), and each measure whose rule
    /// or plan would change gets a pending review. Nothing is applied. Returns the number of
    /// reviews raised.
    ///
    /// `origins_within`: only measures whose origin lies in one of these codes' subtrees
    /// (designations).
    ///
    /// # Errors
    /// `Store` on database failure.
    pub(crate) async fn reevaluate(
        &self,
        trigger_kind: &'static str,
        trigger_ref: &str,
        version: Option<&str>,
        origins_within: Option<&[String]>,
    ) -> Result<u64> {
        let everyone = fangkong_domain::Scope::system();
        let open = self
            .store()
            .measures()
            .measures(
                &everyone,
                &MeasureFilter {
                    statuses: &["assigned", "active"],
                    ..MeasureFilter::default()
                },
            )
            .await?;
        let classifier = self.classifier().await?;
        let mut reviews = Vec::new();
        for m in open {
            let origin = m.origin.as_deref().and_then(|o| Origin::parse(o).ok());
            if let Some(within) = origins_within {
                match &origin {
                    Some(Origin::Domestic(c))
                        if within.iter().any(|w| c.as_str().starts_with(w.as_str())) => {}
                    _ => continue,
                }
            }
            let mut facts = stored_facts(&m);
            if matches!(origin, Some(Origin::Domestic(_))) {
                facts.origin_risk = None;
            }
            let starts_on = day(&m.starts_on)?;
            let departed = m.departed_on.as_deref().map(day).transpose()?;
            let Ok((_, fields)) = assess(
                &classifier,
                facts,
                origin.as_ref(),
                m.origin_address.as_deref(),
                departed,
                starts_on,
                version,
            ) else {
                continue;
            };
            if fields.rule_id == m.rule_id
                && fields.stages == m.stages
                && fields.test_days == m.test_days
            {
                continue;
            }
            let old_text_zh = decode_plan(&m.stages, &m.test_days)?.text_zh();
            reviews.push(NewReview {
                subject: ReviewSubject::Measure(m.id),
                trigger_kind,
                trigger_ref: trigger_ref.to_string(),
                old_rule_id: m.rule_id.clone(),
                old_text_zh,
                fields,
            });
        }
        // Arrivals of the last days that got no measure: a designation made after they came
        // (or a stricter version) may call for one.
        let since = self.today() - Duration::days(ARRIVAL_REVIEW_DAYS);
        for t in self
            .store()
            .measures()
            .unmeasured_entries(&since.to_string())
            .await?
        {
            let Ok(origin) = Origin::parse(&t.origin) else {
                continue;
            };
            if let Some(within) = origins_within {
                match &origin {
                    Origin::Domestic(c)
                        if within.iter().any(|w| c.as_str().starts_with(w.as_str())) => {}
                    _ => continue,
                }
            }
            let pocket = if origin.is_abroad() {
                Pocket::International
            } else {
                Pocket::Domestic
            };
            let facts = Facts {
                vaccination: t.vaccination.as_deref().and_then(Vaccination::parse),
                occupation: t.occupation.clone(),
                ..Facts::pocket(pocket)
            };
            let arrived = day(&t.arrival_day)?;
            let departed = t.departed_on.as_deref().map(day).transpose()?;
            let Ok((classified, fields)) = assess(
                &classifier,
                facts,
                Some(&origin),
                t.origin_address.as_deref(),
                departed,
                arrived,
                version,
            ) else {
                continue;
            };
            let plan = &classified.classification.measure;
            if plan.stages.is_empty() && plan.test_days.is_empty() {
                continue;
            }
            reviews.push(NewReview {
                subject: ReviewSubject::Arrival(t.id),
                trigger_kind,
                trigger_ref: trigger_ref.to_string(),
                old_rule_id: "-".to_string(),
                old_text_zh: policy::Measure::default().text_zh(),
                fields,
            });
        }
        Ok(self
            .store()
            .measures()
            .raise_reviews(&reviews, self.now_ms())
            .await?)
    }

    /// Reviews of measures in the actor's jurisdiction: pending ones, or all.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn measure_reviews(&self, actor: &Actor, pending_only: bool) -> Result<Vec<Review>> {
        actor.require(Permission::InboundRead)?;
        Ok(self
            .store()
            .measures()
            .reviews(&actor.scope, pending_only)
            .await?)
    }

    /// Applies a pending review (the measure takes the new classification, keeping its first
    /// day) or dismisses it. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `NotFound` outside the jurisdiction; `Conflict`
    /// when it was decided before or its measure is closed.
    pub async fn decide_review(&self, actor: &Actor, id: i64, apply: bool) -> Result<Review> {
        actor.require(Permission::InboundOperate)?;
        let review = self.store().measures().review(&actor.scope, id).await?;
        let ends_on = if apply {
            let starts_on = match (review.measure_id, review.travel_entry_id) {
                (Some(measure), _) => {
                    self.store()
                        .measures()
                        .measure(&actor.scope, measure)
                        .await?
                        .starts_on
                }
                (None, Some(entry)) => self.store().measures().arrival_day(entry).await?,
                (None, None) => return Err(Error::NotFound),
            };
            let plan = decode_plan(&review.stages, &review.test_days)?;
            Some(last_day(&plan, day(&starts_on)?).to_string())
        } else {
            None
        };
        let decided = self
            .store()
            .measures()
            .decide_review(
                &actor.scope,
                id,
                ends_on.as_deref(),
                self.now_ms(),
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            if apply {
                "inbound.review_apply"
            } else {
                "inbound.review_dismiss"
            },
            "measure_review",
            Some(id.to_string()),
            None,
            serde_json::json!({
                "measure": review.measure_id, "travel_entry": review.travel_entry_id,
                "rule": review.rule_id,
            }),
        )
        .await?;
        Ok(decided)
    }
}

/// Works out one measure for `today`.
/// What blocks a release on `today` of a measure (status `status`) whose part to release ends
/// on `until` (the measure's last day, or the last day of its centralised stage for a
/// quarantine site): not active, `until` not reached, a test due up to `until` not negative,
/// no health check on `until` or later, fever or symptoms in the latest such check.
///
/// # Errors
/// `Store(Corrupt)` for an unreadable stored day.
pub(crate) fn blockers_until(
    status: &str,
    tests: &[DueTest],
    checks: &[HealthCheck],
    until: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Blocker>> {
    let mut blockers = Vec::new();
    if status != "active" {
        blockers.push(Blocker::NotActive {
            status: status.to_string(),
        });
    }
    if today < until {
        blockers.push(Blocker::NotEnded { ends_on: until });
    }
    for t in tests.iter().filter(|t| t.date <= until) {
        if t.state != TestState::Negative {
            blockers.push(Blocker::Test {
                day: t.day,
                date: t.date,
                state: t.state,
            });
        }
    }
    let until_text = until.to_string();
    let last_check = checks
        .iter()
        .rfind(|c| c.day.as_str() >= until_text.as_str());
    match last_check {
        None => blockers.push(Blocker::NoFinalHealthCheck { date: until }),
        Some(c) => {
            let date = day(&c.day)?;
            if c.temperature >= FEVER_CELSIUS {
                blockers.push(Blocker::Fever {
                    date,
                    temperature: c.temperature,
                });
            }
            if !c.symptoms.is_empty() {
                blockers.push(Blocker::Symptoms {
                    date,
                    symptoms: c.symptoms.clone(),
                });
            }
        }
    }
    Ok(blockers)
}

fn view(
    m: Measure,
    checks: Vec<HealthCheck>,
    samples: &HashMap<(i64, NaiveDate), Vec<&PersonSample>>,
    today: NaiveDate,
) -> Result<MeasureView> {
    let plan = decode_plan(&m.stages, &m.test_days)?;
    let starts_on = day(&m.starts_on)?;
    let ends_on = day(&m.ends_on)?;
    let day_today = (today >= starts_on && today <= ends_on)
        .then(|| u32::try_from((today - starts_on).num_days() + 1).unwrap_or(0));
    let stage_today = day_today.and_then(|d| {
        let mut end = 0;
        plan.stages.iter().find_map(|s| {
            end += s.days;
            (d <= end).then_some(s.kind)
        })
    });
    let tests: Vec<DueTest> = plan
        .test_days
        .iter()
        .map(|&d| {
            let date = starts_on + Duration::days(i64::from(d) - 1);
            let taken = samples.get(&(m.person_id, date));
            let pick = |status: &str| taken.and_then(|t| t.iter().find(|s| s.status == status));
            let (state, tube) = if let Some(s) = pick("positive") {
                (TestState::Positive, Some(s))
            } else if let Some(s) = pick("negative") {
                (TestState::Negative, Some(s))
            } else if let Some(s) = pick("inconclusive") {
                (TestState::Inconclusive, Some(s))
            } else if let Some(s) = taken.and_then(|t| t.first()) {
                (TestState::Pending, Some(s))
            } else if date < today {
                (TestState::Missed, None)
            } else if date == today {
                (TestState::DueToday, None)
            } else {
                (TestState::Upcoming, None)
            };
            DueTest {
                day: d,
                date,
                state,
                tube_code: tube.map(|s| s.tube_code.clone()),
            }
        })
        .collect();
    let checked: HashSet<&str> = checks.iter().map(|c| c.day.as_str()).collect();
    let mut missed_checks = Vec::new();
    if m.is_open() {
        let mut d = starts_on;
        let last = ends_on.min(today - Duration::days(1));
        while d <= last {
            if !checked.contains(d.to_string().as_str()) {
                missed_checks.push(d);
            }
            d += Duration::days(1);
        }
    }
    let blockers = blockers_until(&m.status, &tests, &checks, ends_on, today)?;
    Ok(MeasureView {
        measure: m,
        plan,
        starts_on,
        ends_on,
        day_today,
        stage_today,
        tests,
        checks,
        missed_checks,
        blockers,
    })
}

/// One community's line on the pocket board (or the totals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardLine {
    pub community_code: String,
    /// Open measures whose stage today is centralised quarantine.
    pub centralised: u64,
    pub home_quarantine: u64,
    pub health_monitoring: u64,
    /// Open measures not in a stage today (before the first day, or only tests).
    pub other: u64,
    /// Assigned, not yet reached by the community.
    pub not_active: u64,
    /// Tests due today and not yet sampled.
    pub tests_due_today: u64,
    /// Measures with a missed test or a missed health check.
    pub overdue: u64,
    /// Open measures whose last day is today or past: to be released (or reviewed).
    pub releases_due: u64,
}

impl BoardLine {
    fn add(&mut self, v: &MeasureView, today: NaiveDate) {
        match v.stage_today {
            Some(StageKind::CentralisedQuarantine) => self.centralised += 1,
            Some(StageKind::HomeQuarantine) => self.home_quarantine += 1,
            Some(StageKind::HealthMonitoring) => self.health_monitoring += 1,
            None => self.other += 1,
        }
        self.not_active += u64::from(v.measure.status == "assigned");
        self.tests_due_today += v
            .tests
            .iter()
            .filter(|t| t.state == TestState::DueToday)
            .count() as u64;
        self.overdue += u64::from(v.overdue());
        self.releases_due += u64::from(v.ends_on <= today);
    }
}

/// The pocket board: open measures by community and by pocket, what is due and overdue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Board {
    pub day: NaiveDate,
    pub lines: Vec<BoardLine>,
    pub totals: BoardLine,
    /// Open measures by pocket key.
    pub by_pocket: BTreeMap<String, u64>,
    pub pending_reviews: u64,
    /// Fever-clinic visits past a deadline without a result or disposition.
    pub fever_open_loops: u64,
    /// Fever-clinic visits with a deadline in the next hours.
    pub fever_due_soon: u64,
    /// Cold-chain control tasks (disinfection, worker quarantine) not yet done.
    pub coldchain_open_tasks: u64,
}

impl App {
    /// The pocket board of the actor's jurisdiction (or `within` it) for today.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn pocket_board(&self, actor: &Actor, within: Option<&str>) -> Result<Board> {
        let today = self.today();
        let views = self.measures(actor, within, true, 0).await?;
        let mut lines: BTreeMap<String, BoardLine> = BTreeMap::new();
        let mut totals = BoardLine::default();
        let mut by_pocket = BTreeMap::new();
        for v in &views {
            let line = lines
                .entry(v.measure.community_code.clone())
                .or_insert_with(|| BoardLine {
                    community_code: v.measure.community_code.clone(),
                    ..BoardLine::default()
                });
            line.add(v, today);
            totals.add(v, today);
            *by_pocket.entry(v.measure.pocket.clone()).or_insert(0) += 1;
        }
        let pending_reviews = self.measure_reviews(actor, true).await?.len() as u64;
        let fever = self.fever_open_loops(actor, None, within).await?;
        let coldchain_open_tasks = self
            .coldchain_tasks(actor, Some("open"), within, i64::MAX)
            .await?
            .len() as u64;
        Ok(Board {
            day: today,
            lines: lines.into_values().collect(),
            totals,
            by_pocket,
            pending_reviews,
            fever_open_loops: fever.loops.len() as u64,
            fever_due_soon: fever.due_soon,
            coldchain_open_tasks,
        })
    }

    /// The measures of a batch with their persons' full names, for printing notices
    /// (居家隔离告知书): the names are revealed, so the batch is audited with its purpose.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.operate`; `Invalid` without a purpose or with more than
    /// [`LIST_LIMIT`] measures; `NotFound` for one outside the jurisdiction.
    pub async fn notices(
        &self,
        actor: &Actor,
        ids: &[i64],
        purpose: &str,
    ) -> Result<Vec<MeasureView>> {
        actor.require(Permission::InboundOperate)?;
        if purpose.trim().is_empty() {
            return Err(Error::invalid("purpose", "must not be empty"));
        }
        if ids.is_empty() || ids.len() as i64 > LIST_LIMIT {
            return Err(Error::invalid(
                "ids",
                format!("give 1 to {LIST_LIMIT} measures"),
            ));
        }
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.push(self.store().measures().measure(&actor.scope, *id).await?);
        }
        self.audit(
            actor,
            "inbound.notices_print",
            "measure",
            None,
            Some(purpose.trim()),
            serde_json::json!({ "measures": ids }),
        )
        .await?;
        self.views(rows).await
    }
}

impl App {
    /// Assigns the measure the policy prescribes for a pocket to a person, on behalf of
    /// another capability (a cold-chain quarantine task, a fever-clinic disposition), as the
    /// system: the person may live outside the jurisdiction of whoever triggered it. The same
    /// `source_ref` is assigned once. Returns the measure's id, if the policy prescribes one.
    ///
    /// # Errors
    /// `Invalid` when no policy is in force; `Store` on database failure.
    pub(crate) async fn assign_for(
        &self,
        person_id: i64,
        pocket: Pocket,
        source_ref: &str,
    ) -> Result<Option<i64>> {
        let system = Actor::system("inbound");
        let facts = Facts::pocket(pocket);
        match self
            .assign_measure(&system, person_id, &facts, source_ref, self.today())
            .await
        {
            Ok(done) => Ok(done.map(|(v, _)| v.measure.id)),
            // No policy in force: nothing to assign; the task or visit stands on its own.
            Err(Error::Invalid(reasons)) => {
                tracing::warn!(?reasons, source_ref, "no control measure assigned");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Assigns a measure to every exposed worker of a batch's open quarantine tasks (the
    /// cold-chain pocket), once per task.
    pub(crate) async fn assign_coldchain_quarantines(&self, batch_id: i64) -> Result<u64> {
        let tasks = self
            .store()
            .coldchain()
            .tasks(&fangkong_store::coldchain::TaskFilter {
                bounds: None,
                within: None,
                batch_id: Some(batch_id),
                task_id: None,
                status: Some("open".to_string()),
                limit: i64::MAX,
            })
            .await?;
        let mut assigned = 0;
        for t in tasks.iter().filter(|t| t.kind == "quarantine_worker") {
            if let Some(person) = t.person_id {
                let source = format!("coldchain-task:{}", t.id);
                if self
                    .assign_for(person, Pocket::ColdChain, &source)
                    .await?
                    .is_some()
                {
                    assigned += 1;
                }
            }
        }
        Ok(assigned)
    }
}
