//! The command dashboard (指挥大屏): the headline figures of the actor's jurisdiction composed
//! from the capabilities, each section computed concurrently and present only when the actor
//! may read the capability it comes from.
//!
//! This module computes nothing a capability already computes: it calls the capabilities'
//! own functions (the pocket board, round coverage, the epidemic analysis, the supplies
//! alerts, alert timeliness) and the store's aggregate counts. It returns counts only, never
//! personal data, so the dashboard needs no audit entry.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use fangkong_domain::Permission;
use fangkong_store::jurisdictions::Jurisdiction;
use fangkong_store::tracing::{Case, CaseFilter};

use crate::analysis::EpiAnalysis;
use crate::clock::china_midnight_ms;
use crate::{Actor, App, Result};

/// Days of the epidemic curve on the dashboard.
pub const CURVE_DAYS: usize = 60;

/// Hours within which each of the four earlies counts as timely. Onset to detection within a
/// day (fever-clinic and testing screening), detection to online report within 2 hours (the
/// direct-reporting rule for class-A-managed diseases), report to isolation and to admission
/// within a day, and tracing (itinerary, contacts under control) within a day.
pub const DETECTION_TARGET_HOURS: f64 = 24.0;
/// See [`DETECTION_TARGET_HOURS`].
pub const REPORT_TARGET_HOURS: f64 = 2.0;
/// See [`DETECTION_TARGET_HOURS`].
pub const ISOLATION_TARGET_HOURS: f64 = 24.0;
/// See [`DETECTION_TARGET_HOURS`].
pub const TREATMENT_TARGET_HOURS: f64 = 24.0;

/// Cases inside the jurisdiction (excluded ones never counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFigures {
    /// Reported today (China Standard Time).
    pub new_today: u64,
    pub new_yesterday: u64,
    /// Reported in the 7 days ending today, and in the 7 days before them.
    pub new_7d: u64,
    pub new_prev_7d: u64,
    /// Open (neither recovered nor died), of each class.
    pub active: u64,
    pub active_confirmed: u64,
    pub active_asymptomatic: u64,
    pub active_suspected: u64,
    /// Open cases that are severe or critical.
    pub severe: u64,
    pub recovered: u64,
    pub died: u64,
}

/// Confirmed contacts and those under an open control measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactFigures {
    pub confirmed: u64,
    pub under_control: u64,
    pub without_measure: u64,
}

/// People under each control measure today (from the pocket board).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeasureFigures {
    pub centralised: u64,
    pub home_quarantine: u64,
    pub health_monitoring: u64,
    /// Open measures between stages (before the first day, or tests only).
    pub other: u64,
    /// Assigned, not yet reached by the community.
    pub not_active: u64,
    /// With a missed test or health check.
    pub overdue: u64,
    pub releases_due: u64,
    pub fever_open_loops: u64,
    pub coldchain_open_tasks: u64,
}

impl MeasureFigures {
    /// Every open measure.
    pub fn total(&self) -> u64 {
        self.centralised + self.home_quarantine + self.health_monitoring + self.other
    }
}

/// The round of the day and its coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundFigures {
    pub code: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub target: i64,
    pub sampled: i64,
}

/// Testing: positive tubes and the current round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestingFigures {
    pub positives_today: i64,
    pub positives_yesterday: i64,
    /// The newest round that has started (none before the first).
    pub round: Option<RoundFigures>,
}

/// Occupancy of quarantine sites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsolationFigures {
    pub sites: u64,
    pub rooms: i64,
    pub rooms_occupied: i64,
    pub beds: i64,
    pub occupants: i64,
    /// Rooms ready for a placement.
    pub rooms_free: i64,
}

/// Hospital beds by type: (beds, occupied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BedFigures {
    pub hospitals: u64,
    pub general: (i64, i64),
    pub icu: (i64, i64),
    pub isolation: (i64, i64),
}

impl BedFigures {
    /// Every bed and every occupied bed.
    pub fn total(&self) -> (i64, i64) {
        (
            self.general.0 + self.icu.0 + self.isolation.0,
            self.general.1 + self.icu.1 + self.isolation.1,
        )
    }
}

/// One subdivision of the jurisdiction on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFigures {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub active: u64,
    pub new_today: u64,
    pub new_7d: u64,
    /// New cases of the last 7 days per 100 000 residents, when the population is known.
    pub new_7d_per_100k: Option<f64>,
}

/// One of the four earlies (or a tracing step): hours over the cases that reached it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timeliness {
    /// Cases that reached the step (with both times known).
    pub n: u64,
    pub median_hours: Option<f64>,
    /// Within the target.
    pub timely: u64,
    pub target_hours: f64,
}

impl Timeliness {
    fn of(mut hours: Vec<f64>, target_hours: f64) -> Timeliness {
        hours.sort_by(f64::total_cmp);
        let n = hours.len();
        let median_hours = match n {
            0 => None,
            _ if n % 2 == 1 => Some(hours[n / 2]),
            _ => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
        };
        Timeliness {
            n: n as u64,
            median_hours,
            timely: hours.iter().filter(|h| **h <= target_hours).count() as u64,
            target_hours,
        }
    }

    /// The share within the target, in percent (none without cases).
    pub fn timely_pct(&self) -> Option<f64> {
        (self.n > 0).then(|| self.timely as f64 * 100.0 / self.n as f64)
    }
}

/// The four earlies (四早) and the tracing steps, over every case of the jurisdiction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FourEarly {
    /// 早发现: onset to detection.
    pub detection: Timeliness,
    /// 早报告: detection to report.
    pub report: Timeliness,
    /// 早隔离: report to isolation.
    pub isolation: Timeliness,
    /// 早治疗: report to admission.
    pub treatment: Timeliness,
    /// Report to itinerary complete.
    pub itinerary: Timeliness,
    /// Report to every contact under control.
    pub contacts: Timeliness,
}

/// Sentinel alerts: open ones and how fast closed ones were verified.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AlertFigures {
    pub open: u64,
    pub verification: Timeliness,
}

/// The dashboard's figures that read the whole population: the current round's coverage
/// (every resident against the round's collections) and the supplies at risk (the demand
/// forecast, from the last 14 days' collections by county). At 7 million residents they
/// take seconds where the rest of the dashboard takes milliseconds, so a server keeps them
/// (see [`App::with_population_figures_kept`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationFigures {
    /// The newest round that has started, with its coverage (`None` before the first, or
    /// without `testing.read`).
    pub round: Option<RoundFigures>,
    /// Reorder alerts (`None` without `supplies.read`).
    pub supplies_at_risk: Option<u64>,
    /// When they were computed (Unix ms).
    pub at_ms: i64,
}

/// How the population figures are kept: their age limit and one slot per jurisdiction and
/// permission set.
#[derive(Default)]
pub(crate) struct PopulationCache {
    pub(crate) ttl: std::time::Duration,
    pub(crate) slots: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<PopulationSlot>>>>,
}

#[derive(Default)]
pub(crate) struct PopulationSlot {
    computed: Option<(std::time::Instant, PopulationFigures)>,
    refreshing: bool,
}

/// Kept population figures older than this many periods are computed again before the
/// dashboard answers (a server idle overnight does not show the night's figures).
const POPULATION_STALE_PERIODS: u32 = 10;

/// The key of a cache slot: the jurisdiction and the permission set.
fn cache_key(actor: &Actor) -> String {
    format!(
        "{}|{}",
        actor.scope.root.as_ref().map_or("", |r| r.as_str()),
        actor
            .scope
            .permissions
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// The dashboard cache: its age limit and one slot per jurisdiction and permission set.
#[derive(Default)]
pub(crate) struct DashboardCache {
    pub(crate) ttl: std::time::Duration,
    #[allow(clippy::type_complexity)]
    pub(crate) slots: tokio::sync::Mutex<
        HashMap<String, Arc<tokio::sync::Mutex<Option<(std::time::Instant, Dashboard)>>>>,
    >,
}

/// The dashboard of a jurisdiction. A section is `None` when the actor may not read the
/// capability behind it.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub day: NaiveDate,
    /// When it was computed (Unix ms).
    pub at_ms: i64,
    /// When the round's coverage and the supplies at risk were computed (Unix ms): `at_ms`
    /// unless the app keeps them ([`App::with_population_figures_kept`]).
    pub population_at_ms: i64,
    /// The jurisdiction shown: code and name.
    pub root: Option<(String, String)>,
    pub cases: Option<CaseFigures>,
    pub contacts: Option<ContactFigures>,
    pub measures: Option<MeasureFigures>,
    pub testing: Option<TestingFigures>,
    pub isolation: Option<IsolationFigures>,
    pub beds: Option<BedFigures>,
    /// Items whose stock at a county reserve is below its reorder point.
    pub supplies_at_risk: Option<u64>,
    pub alerts: Option<AlertFigures>,
    /// Co-investigation items open past their task's deadline (needs
    /// `co_investigation.read`) and directives to the jurisdiction not reported complete by
    /// their due time (needs `command.read`), from [`App::overdue_counts`].
    pub overdue_tasks: Option<u64>,
    pub overdue_directives: Option<u64>,
    /// The epidemic curve with Rt (needs `sentinel.read`, like the analysis page).
    pub curve: Option<EpiAnalysis>,
    /// Subdivisions of the jurisdiction (counties of a city, townships of a county).
    pub areas: Vec<AreaFigures>,
    pub four_early: Option<FourEarly>,
}

fn hours_between(from: Option<i64>, to: Option<i64>) -> Option<f64> {
    match (from, to) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 3_600_000.0),
        _ => None,
    }
}

/// Case figures and the four earlies from the case list, for the day `today`.
pub fn case_figures(cases: &[Case], today: NaiveDate) -> (CaseFigures, FourEarly) {
    let day = 86_400_000;
    let today_ms = china_midnight_ms(today);
    let mut f = CaseFigures::default();
    let (mut det, mut rep, mut iso, mut tre, mut iti, mut con) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for c in cases
        .iter()
        .filter(|c| c.fields.classification != "excluded")
    {
        let r = c.reported_at;
        f.new_today += u64::from(r >= today_ms && r < today_ms + day);
        f.new_yesterday += u64::from(r >= today_ms - day && r < today_ms);
        f.new_7d += u64::from(r >= today_ms - 6 * day && r < today_ms + day);
        f.new_prev_7d += u64::from(r >= today_ms - 13 * day && r < today_ms - 6 * day);
        match c.fields.outcome.as_str() {
            "recovered" => f.recovered += 1,
            "died" => f.died += 1,
            _ => {
                f.active += 1;
                match c.fields.classification.as_str() {
                    "confirmed" => f.active_confirmed += 1,
                    "asymptomatic" => f.active_asymptomatic += 1,
                    _ => f.active_suspected += 1,
                }
                f.severe += u64::from(matches!(
                    c.fields.severity.as_deref(),
                    Some("severe" | "critical")
                ));
            }
        }
        det.extend(hours_between(c.fields.onset_at, Some(c.detected_at)));
        rep.extend(hours_between(Some(c.detected_at), Some(r)));
        iso.extend(hours_between(Some(r), c.fields.isolated_at).or_else(|| {
            // Isolated before the report (found in quarantine): timely by definition.
            c.fields.isolated_at.filter(|i| *i < r).map(|_| 0.0)
        }));
        tre.extend(
            hours_between(Some(r), c.fields.admitted_at)
                .or_else(|| c.fields.admitted_at.filter(|a| *a < r).map(|_| 0.0)),
        );
        let t = crate::tracing::case_timeliness(c);
        iti.extend(t.itinerary_hours);
        con.extend(t.contacts_hours);
    }
    let tracing_target = crate::tracing::TIMELY_HOURS;
    (
        f,
        FourEarly {
            detection: Timeliness::of(det, DETECTION_TARGET_HOURS),
            report: Timeliness::of(rep, REPORT_TARGET_HOURS),
            isolation: Timeliness::of(iso, ISOLATION_TARGET_HOURS),
            treatment: Timeliness::of(tre, TREATMENT_TARGET_HOURS),
            itinerary: Timeliness::of(iti, tracing_target),
            contacts: Timeliness::of(con, tracing_target),
        },
    )
}

impl App {
    /// The jurisdiction the dashboard shows and its subdivisions: the actor's top
    /// jurisdiction, or, for a province holding a single city, that city (its counties on
    /// the map). `None` when the instance has no jurisdictions.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`; store failures.
    pub async fn dashboard_area(
        &self,
        actor: &Actor,
    ) -> Result<Option<(Jurisdiction, Vec<Jurisdiction>)>> {
        let code = match self.top_jurisdiction(actor).await {
            Ok(code) => code,
            Err(crate::Error::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut root = self.store().jurisdictions().get(&code).await?;
        let mut children = self.list_jurisdictions(actor, None, Some(&code)).await?;
        // Only from a province: a county of one township still shows its own figures.
        while let ([only], true) = (children.as_slice(), root.code.len() <= 2) {
            let below = self
                .list_jurisdictions(actor, None, Some(&only.code))
                .await?;
            if below.is_empty() {
                break;
            }
            root = only.clone();
            children = below;
        }
        Ok(Some((root, children)))
    }

    /// The code of the jurisdiction the dashboard shows (see [`App::dashboard_area`]).
    ///
    /// # Errors
    /// `NotFound` when the instance has no jurisdictions; as [`App::dashboard_area`].
    pub async fn dashboard_root(&self, actor: &Actor) -> Result<String> {
        Ok(self
            .dashboard_area(actor)
            .await?
            .ok_or(crate::Error::NotFound)?
            .0
            .code)
    }

    /// The dashboard as [`App::dashboard`] computes it, at most the app's dashboard cache
    /// age old (see [`App::with_dashboard_cache`]; no cache by default). Entries are per
    /// jurisdiction and permission set, so every reader sees exactly what they may; while
    /// one reader computes an entry, the others of the same key wait for it instead of
    /// computing it again (a wall of screens and a room of laptops cost one computation per
    /// period).
    ///
    /// # Errors
    /// As [`App::dashboard`].
    pub async fn dashboard_cached(&self, actor: &Actor) -> Result<Dashboard> {
        let ttl = self.dashboard_cache.ttl;
        if ttl.is_zero() {
            return self.dashboard(actor).await;
        }
        actor.require(Permission::JurisdictionsRead)?;
        let key = cache_key(actor);
        let slot = {
            let mut slots = self.dashboard_cache.slots.lock().await;
            slots.entry(key).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some((at, d)) = entry.as_ref() {
            if at.elapsed() < ttl {
                return Ok(d.clone());
            }
            // Stale but young (under three periods): answered at once while one
            // background computation refreshes it, so no reader waits for a recomputation.
            if at.elapsed() < ttl * 3 {
                let stale = d.clone();
                // The entry's time moves to now so that one refresh runs per period.
                *entry = Some((std::time::Instant::now() - ttl / 2, stale.clone()));
                let (app, actor, slot) = (self.clone(), actor.clone(), slot.clone());
                tokio::spawn(async move {
                    if let Ok(d) = app.dashboard(&actor).await {
                        *slot.lock().await = Some((std::time::Instant::now(), d));
                    }
                });
                return Ok(stale);
            }
        }
        let d = self.dashboard(actor).await?;
        *entry = Some((std::time::Instant::now(), d.clone()));
        Ok(d)
    }

    /// The round's coverage and the supplies at risk for the actor, computed now.
    ///
    /// # Errors
    /// Store failures.
    pub async fn compute_population_figures(&self, actor: &Actor) -> Result<PopulationFigures> {
        let can = |p| actor.scope.can(p);
        let round = async {
            if !can(Permission::TestingRead) {
                return Ok(None);
            }
            let today_s = self.today().format("%Y-%m-%d").to_string();
            let rounds = self.rounds(actor).await?;
            let Some(r) = rounds.into_iter().find(|r| r.starts_on <= today_s) else {
                return Ok(None);
            };
            let c = self
                .round_coverage(
                    actor,
                    &r.code,
                    crate::testing::coverage::CoverageLevel::County,
                )
                .await?;
            Ok::<_, crate::Error>(Some(RoundFigures {
                code: r.code,
                name: r.name,
                starts_on: r.starts_on,
                ends_on: r.ends_on,
                target: c.target,
                sampled: c.sampled,
            }))
        };
        let supplies = async {
            if !can(Permission::SuppliesRead) {
                return Ok(None);
            }
            let alerts = self.supplies_alerts(actor).await?;
            Ok::<_, crate::Error>(Some(alerts.len() as u64))
        };
        let (round, supplies_at_risk) = tokio::try_join!(round, supplies)?;
        Ok(PopulationFigures {
            round,
            supplies_at_risk,
            at_ms: self.now_ms(),
        })
    }

    /// The population figures for the actor: computed now, or, when the app keeps them,
    /// as kept if younger than the period; older ones (up to
    /// [`POPULATION_STALE_PERIODS`] periods) are answered at once while one background
    /// computation replaces them, and the first of a jurisdiction is computed while its
    /// other readers wait for it.
    ///
    /// # Errors
    /// Store failures.
    pub async fn population_figures(&self, actor: &Actor) -> Result<PopulationFigures> {
        let ttl = self.population_cache.ttl;
        if ttl.is_zero() {
            return self.compute_population_figures(actor).await;
        }
        let slot = {
            let mut slots = self.population_cache.slots.lock().await;
            slots.entry(cache_key(actor)).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some((at, figures)) = entry.computed.clone() {
            if at.elapsed() < ttl {
                return Ok(figures);
            }
            if at.elapsed() < ttl * POPULATION_STALE_PERIODS {
                if !entry.refreshing {
                    entry.refreshing = true;
                    let (app, actor, slot) = (self.clone(), actor.clone(), slot.clone());
                    tokio::spawn(async move {
                        let result = app.compute_population_figures(&actor).await;
                        let mut entry = slot.lock().await;
                        entry.refreshing = false;
                        match result {
                            Ok(f) => entry.computed = Some((std::time::Instant::now(), f)),
                            Err(e) => {
                                ::tracing::warn!(error = %e, "population figures not refreshed");
                            }
                        }
                    });
                }
                return Ok(figures);
            }
        }
        let figures = self.compute_population_figures(actor).await?;
        entry.computed = Some((std::time::Instant::now(), figures.clone()));
        Ok(figures)
    }

    /// The dashboard of the actor's jurisdiction for today. The sections run concurrently;
    /// each needs its capability's read permission and is `None` without it.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`; store failures.
    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard> {
        actor.require(Permission::JurisdictionsRead)?;
        let today = self.today();
        let can = |p| actor.scope.can(p);
        let day_ms = china_midnight_ms(today);

        let root = self.dashboard_area(actor);
        let cases = async {
            if !can(Permission::TracingRead) {
                return Ok(None);
            }
            let cases = self
                .store()
                .tracing()
                .cases(
                    &actor.scope,
                    &CaseFilter {
                        limit: i64::MAX,
                        ..CaseFilter::default()
                    },
                )
                .await?;
            Ok::<_, crate::Error>(Some(cases))
        };
        let contacts = async {
            if !can(Permission::TracingRead) {
                return Ok(None);
            }
            let c = self.store().dashboard().contacts(&actor.scope).await?;
            Ok::<_, crate::Error>(Some(ContactFigures {
                confirmed: c.confirmed.max(0) as u64,
                under_control: c.under_control.max(0) as u64,
                without_measure: c.without_measure.max(0) as u64,
            }))
        };
        let measures = async {
            if !can(Permission::InboundRead) {
                return Ok(None);
            }
            let b = self.pocket_board(actor, None).await?;
            Ok::<_, crate::Error>(Some(MeasureFigures {
                centralised: b.totals.centralised,
                home_quarantine: b.totals.home_quarantine,
                health_monitoring: b.totals.health_monitoring,
                other: b.totals.other,
                not_active: b.totals.not_active,
                overdue: b.totals.overdue,
                releases_due: b.totals.releases_due,
                fever_open_loops: b.fever_open_loops,
                coldchain_open_tasks: b.coldchain_open_tasks,
            }))
        };
        let testing = async {
            if !can(Permission::TestingRead) {
                return Ok(None);
            }
            let dash = self.store().dashboard();
            let today_n = dash
                .positive_tubes(&actor.scope, day_ms, day_ms + 86_400_000)
                .await?;
            let yesterday_n = dash
                .positive_tubes(&actor.scope, day_ms - 86_400_000, day_ms)
                .await?;
            Ok::<_, crate::Error>(Some((today_n, yesterday_n)))
        };
        let isolation = async {
            if !can(Permission::IsolationRead) {
                return Ok(None);
            }
            let sites = self.isolation_sites(actor).await?;
            let mut f = IsolationFigures {
                sites: sites.len() as u64,
                ..IsolationFigures::default()
            };
            for s in &sites {
                f.rooms += s.rooms;
                f.rooms_occupied += s.occupied;
                f.beds += s.beds;
                f.occupants += s.occupants;
                f.rooms_free += s.free();
            }
            Ok::<_, crate::Error>(Some(f))
        };
        let beds = async {
            if !can(Permission::TreatmentRead) {
                return Ok(None);
            }
            let hospitals = self.hospitals(actor).await?;
            let mut f = BedFigures {
                hospitals: hospitals.len() as u64,
                ..BedFigures::default()
            };
            for h in &hospitals {
                f.general.0 += h.beds_general;
                f.general.1 += h.occupied_general;
                f.icu.0 += h.beds_icu;
                f.icu.1 += h.occupied_icu;
                f.isolation.0 += h.beds_isolation;
                f.isolation.1 += h.occupied_isolation;
            }
            Ok::<_, crate::Error>(Some(f))
        };
        let population = self.population_figures(actor);
        let alerts = async {
            if !can(Permission::SentinelRead) {
                return Ok(None);
            }
            let t = self.alert_timeliness(actor).await?;
            Ok::<_, crate::Error>(Some(AlertFigures {
                open: t.open,
                verification: Timeliness {
                    n: t.closed,
                    median_hours: t.median_hours,
                    timely: t.within_24h,
                    target_hours: 24.0,
                },
            }))
        };
        let curve = async {
            if !can(Permission::SentinelRead) {
                return Ok(None);
            }
            let a = self
                .epidemic_analysis(actor, CURVE_DAYS, None, None)
                .await?;
            Ok::<_, crate::Error>(Some(a))
        };
        let (area, cases, contacts, measures, testing, isolation, beds, population, alerts, curve) =
            tokio::try_join!(
                root, cases, contacts, measures, testing, isolation, beds, population, alerts,
                curve
            )?;
        let testing = testing.map(|(positives_today, positives_yesterday)| TestingFigures {
            positives_today,
            positives_yesterday,
            round: population.round.clone(),
        });

        let (case_figs, four_early) = match &cases {
            Some(cs) => {
                let (f, e) = case_figures(cs, today);
                (Some(f), Some(e))
            }
            None => (None, None),
        };
        let (root, children) = match area {
            Some((root, children)) => (Some(root), children),
            None => (None, Vec::new()),
        };
        let areas = areas_of(&children, cases.as_deref(), today);
        let (overdue_tasks, overdue_directives) = match &root {
            Some(r) if can(Permission::CoInvestigationRead) || can(Permission::CommandRead) => {
                let o = self.overdue_counts(actor, r.code.as_str()).await?;
                (
                    can(Permission::CoInvestigationRead)
                        .then(|| u64::try_from(o.co_investigation_items).unwrap_or(0)),
                    can(Permission::CommandRead).then(|| u64::try_from(o.directives).unwrap_or(0)),
                )
            }
            _ => (None, None),
        };
        Ok(Dashboard {
            day: today,
            at_ms: self.now_ms(),
            population_at_ms: population.at_ms,
            root: root.map(|j| (j.code, j.name)),
            cases: case_figs,
            contacts,
            measures,
            testing,
            isolation,
            beds,
            supplies_at_risk: population.supplies_at_risk,
            alerts,
            overdue_tasks,
            overdue_directives,
            curve,
            areas,
            four_early,
        })
    }
}

/// The subdivisions with their active and recent cases (zero without `tracing.read`).
fn areas_of(
    children: &[Jurisdiction],
    cases: Option<&[Case]>,
    today: NaiveDate,
) -> Vec<AreaFigures> {
    let day = 86_400_000;
    let from = china_midnight_ms(today) - 6 * day;
    let to = china_midnight_ms(today) + day;
    let mut areas: Vec<AreaFigures> = children
        .iter()
        .map(|j| {
            let population = match (j.pop_0_14, j.pop_15_59, j.pop_60_79, j.pop_80_plus) {
                (Some(a), Some(b), Some(c), Some(d)) => Some(a + b + c + d),
                _ => None,
            };
            AreaFigures {
                code: j.code.clone(),
                name: j.name.clone(),
                population,
                active: 0,
                new_today: 0,
                new_7d: 0,
                new_7d_per_100k: None,
            }
        })
        .collect();
    let index: HashMap<&str, usize> = children
        .iter()
        .enumerate()
        .map(|(i, j)| (j.code.as_str(), i))
        .collect();
    let len = children.first().map_or(0, |j| j.code.len());
    for c in cases
        .unwrap_or_default()
        .iter()
        .filter(|c| c.fields.classification != "excluded")
    {
        let Some(i) = c.community_code.get(..len).and_then(|k| index.get(k)) else {
            continue;
        };
        let a = &mut areas[*i];
        a.active += u64::from(c.fields.outcome == "open");
        a.new_7d += u64::from(c.reported_at >= from && c.reported_at < to);
        a.new_today += u64::from(c.reported_at >= to - day && c.reported_at < to);
    }
    for a in &mut areas {
        a.new_7d_per_100k = a
            .population
            .filter(|p| *p > 0)
            .map(|p| a.new_7d as f64 * 100_000.0 / p as f64);
    }
    areas
}
