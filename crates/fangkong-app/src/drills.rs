//! Drills (应急演练, issue #12): a simulated outbreak fed into a sandbox instance through the
//! same ingest paths as real data, in accelerated time, then scored.
//!
//! How a drill runs:
//! 1. [`App::prepare_drill_sandbox`] loads the scenario's synthetic city into the (empty)
//!    sandbox store like `fangkong demo` does, with the default control-measure policy and
//!    the demo supplies picture (reserves sized on the city).
//! 2. [`App::run_drill`] rebuilds the same city as a `fangkong_sim::Population` (person `i`
//!    of the simulation is the registry's person `ids[i]`), places the seeds the scenario
//!    names, and steps the simulation a day at a time. Each day's events enter the sandbox
//!    through the app's own ingest functions: travellers (`import_travel`, the traveller
//!    list of a travel scenario), sentinel reports (`submit_sentinel_reports`, then the
//!    daily aberration run), sample collections and results (`ingest_samples`,
//!    `ingest_results`: a positive tube fans out into a suspected case), cases
//!    (`register_case`) and their isolation, admission, onset and recovery (`update_case`).
//!    Co-investigation pushes from the province are not fed (that capability is not built
//!    yet).
//! 3. Between days the clock moves: a [`Pace::Stepped`] drill moves a `FixedClock` itself
//!    (tests, `--no-serve`), a [`Pace::Accelerated`] one waits for its [`AcceleratedClock`]
//!    while operators work the sandbox in the UI.
//! 4. At the end the report is computed from what the sandbox holds (so operators' work
//!    counts) and the simulation's daily counts, and stored: the four earlies by county,
//!    late tasks, isolation and bed shortfalls, stock-outs. Definitions: `docs/drills.md`.
//!
//! What it must not do: write to anything but the sandbox store it was given, or read the
//! system clock (time comes from the app's clock). Everything is deterministic for a
//! scenario file and a start time.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_sim::drill::{DrillScenario, Setting};
use fangkong_sim::{
    Community, Counts, EventKind, InitialState, Population, Resident, Route, Simulation,
};
use fangkong_store::drills::{DrillRow, NewDrill};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clock::{china_midnight_ms, Clock, FixedClock};
use crate::demo::{DemoConfig, NoProgress};
use crate::sentinel::{ReportInput, ReportSource};
use crate::tracing::{median, CaseInput, CaseUpdate};
use crate::{Actor, App, Error, Result};

const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_MINUTE: i64 = 60_000;

/// A clock running `speed` times faster than the wall clock from a start time (a drill
/// served to operators). `speed` 1440 makes a simulated day of one wall minute.
#[derive(Debug)]
pub struct AcceleratedClock {
    start: DateTime<Utc>,
    wall_start: std::time::Instant,
    speed: f64,
}

impl AcceleratedClock {
    /// A clock reading `start` now and running `speed` times faster than real time.
    pub fn new(start: DateTime<Utc>, speed: f64) -> AcceleratedClock {
        AcceleratedClock {
            start,
            wall_start: std::time::Instant::now(),
            speed: speed.max(1.0),
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> DateTime<Utc> {
        let wall = self.wall_start.elapsed().as_secs_f64() * self.speed;
        self.start + Duration::milliseconds((wall * 1000.0) as i64)
    }
}

/// How the drill's time passes.
#[derive(Clone)]
pub enum Pace {
    /// The driver moves this clock (the app's) to each moment it needs, as fast as it can.
    Stepped(Arc<FixedClock>),
    /// The app's clock runs by itself; the driver waits for it.
    Accelerated(Arc<AcceleratedClock>),
}

impl Pace {
    /// Moves (or waits for) the clock to reach `at`.
    async fn reach(&self, at: DateTime<Utc>) {
        match self {
            Pace::Stepped(clock) => {
                if clock.now() < at {
                    clock.set(at);
                }
            }
            Pace::Accelerated(clock) => loop {
                let now = clock.now();
                if now >= at {
                    break;
                }
                let wall_ms = ((at - now).num_milliseconds() as f64 / clock.speed).ceil();
                let wait = (wall_ms as u64).clamp(1, 1000);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            },
        }
    }
}

/// Options of one drill run.
#[derive(Clone)]
pub struct DrillRun {
    pub scenario: DrillScenario,
    /// The scenario file's text, stored with the drill.
    pub scenario_text: String,
    /// Stop after this many days (at most the scenario's).
    pub until_day: Option<u16>,
    pub pace: Pace,
}

/// The delays of one of the four earlies, in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delay {
    /// Cases measured.
    pub n: u32,
    pub median_hours: Option<f64>,
    pub mean_hours: Option<f64>,
    /// Cases within the standard.
    pub on_time: u32,
}

/// The scores of one county (or of the whole city).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CountyScore {
    pub code: String,
    pub name: String,
    pub infections: u32,
    pub cases: u32,
    /// Onset → detection (symptomatic cases).
    pub detection: Delay,
    /// Detection → report.
    pub report: Delay,
    /// Report → isolation.
    pub isolation: Delay,
    /// Report → admission (admitted cases).
    pub treatment: Delay,
    /// Reports later than the standard.
    pub late_reports: u32,
    /// Cases isolated later than the standard, or not isolated when it passed.
    pub late_isolations: u32,
    /// Tracing tasks (itinerary, contacts under control) and co-investigation items pushed
    /// from the province past their deadline, done late or not done.
    pub late_tasks: u32,
    /// Co-investigation items pushed into the county.
    #[serde(default)]
    pub co_items: u32,
    /// Days on which people to isolate or quarantine outnumbered the quarantine beds.
    pub isolation_shortfall_days: u32,
    /// The largest such excess.
    pub isolation_peak_shortfall: u32,
    /// Days on which admitted patients outnumbered the hospital beds.
    pub bed_shortfall_days: u32,
    /// Items whose stock ran out.
    pub stockouts: u32,
    /// 0-100, see docs/drills.md.
    pub score: f64,
}

/// One simulated day of the city.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    pub day: u16,
    pub date: String,
    pub infections: u32,
    pub detections: u32,
    pub isolated: u32,
    pub quarantined: u32,
    pub in_hospital: u32,
    pub tubes: u32,
}

/// The daily demand for isolation and hospital beds of a county against its capacity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Occupancy {
    pub code: String,
    pub name: String,
    pub quarantine_beds: u32,
    pub hospital_beds: u32,
    /// People isolated or quarantined, by day.
    pub isolation_demand: Vec<u32>,
    /// Patients in hospital, by day.
    pub hospital_demand: Vec<u32>,
}

/// An item that ran out in a county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockOut {
    pub county: String,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    /// Stock in the county's warehouses when the drill began.
    pub stock: f64,
    /// Consumption over the whole drill.
    pub demand: f64,
    /// The first day whose consumption the stock no longer covered.
    pub day: u16,
}

/// What the driver fed into the sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feeds {
    pub travellers: u32,
    pub sentinel_reports: u32,
    pub sentinel_alerts: u32,
    pub samples: u32,
    pub results: u32,
    pub cases: u32,
    pub isolations: u32,
    pub admissions: u32,
    pub recoveries: u32,
    /// Co-investigation items pushed from the province (the travel setting's co-passengers).
    #[serde(default)]
    pub co_investigation_items: u32,
}

/// The report of a finished drill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillReport {
    pub scenario: String,
    pub seed: u64,
    pub days: u16,
    /// Date (China Standard Time) of day 0.
    pub start_day: String,
    pub standards: fangkong_sim::drill::Standards,
    /// The whole city; absent for an actor who sees only part of it.
    pub total: Option<CountyScore>,
    pub counties: Vec<CountyScore>,
    /// The whole city by day; empty for an actor who sees only part of it.
    pub daily: Vec<DailyPoint>,
    pub occupancy: Vec<Occupancy>,
    pub stockouts: Vec<StockOut>,
    pub feeds: Feeds,
}

/// A stored drill with its report.
#[derive(Debug, Clone)]
pub struct Drill {
    pub row: DrillRow,
    pub report: Option<DrillReport>,
    /// Why it failed, for a failed drill.
    pub failure: Option<String>,
}

/// A person of the sandbox city as the driver needs it.
struct CityPerson {
    id: i64,
    name: String,
    national_id: String,
    community_code: String,
    workplace_subtype: Option<String>,
}

/// The sandbox city: the simulator's population and its map back to the registry.
struct City {
    population: Population,
    people: Vec<CityPerson>,
}

impl App {
    /// Loads the scenario's city into an empty sandbox store (or checks that it holds that
    /// city), with the default policy and the demo supplies. A rerun changes nothing.
    ///
    /// # Errors
    /// `Conflict` when the store holds another city or other persons.
    pub async fn prepare_drill_sandbox(&self, scenario: &DrillScenario) -> Result<()> {
        let config = demo_config(scenario);
        self.load_demo_city(&config, &NoProgress).await?;
        self.ensure_default_policy().await?;
        self.seed_demo_supplies(&config).await?;
        Ok(())
    }

    /// Runs a drill in this (sandbox) app and stores its report; returns the drill id.
    ///
    /// # Errors
    /// `Forbidden` without every operating permission (drills run as the system);
    /// `Invalid` when the sandbox does not hold the scenario's city; any ingest failure,
    /// after which the drill is stored as failed with the cause.
    pub async fn run_drill(&self, actor: &Actor, run: &DrillRun) -> Result<i64> {
        for p in [
            Permission::TracingOperate,
            Permission::SentinelReport,
            Permission::SentinelManage,
            Permission::TestingSubmit,
            Permission::InboundOperate,
        ] {
            actor.require(p)?;
        }
        let s = &run.scenario;
        let start_day = self.today();
        let id = self
            .store()
            .drills()
            .insert(&NewDrill {
                scenario_name: &s.name,
                title: &s.title,
                title_en: &s.title_en,
                scenario_text: &run.scenario_text,
                seed: s.seed as i64,
                days: i64::from(s.days),
                started_at: self.now_ms(),
                sim_start_day: &start_day.to_string(),
                created_by: &actor.label(),
            })
            .await?;
        match self.drive(actor, run, id, start_day).await {
            Ok(report) => {
                let json = serde_json::to_string(&report)
                    .map_err(|e| Error::Conflict(format!("drill report: {e}")))?;
                self.store()
                    .drills()
                    .finish(id, "finished", self.now_ms(), &json)
                    .await?;
                Ok(id)
            }
            Err(e) => {
                let cause = serde_json::json!({ "error": e.to_string() }).to_string();
                self.store()
                    .drills()
                    .finish(id, "failed", self.now_ms(), &cause)
                    .await?;
                Err(e)
            }
        }
    }

    /// The drills, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `drills.read`.
    pub async fn drills(&self, actor: &Actor) -> Result<Vec<DrillRow>> {
        actor.require(Permission::DrillsRead)?;
        Ok(self.store().drills().list(200).await?)
    }

    /// One drill with its report, the counties limited to the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `drills.read`; `NotFound`; `NotFound` too for an actor whose
    /// jurisdiction holds no county of the drill's city.
    pub async fn drill(&self, actor: &Actor, id: i64) -> Result<Drill> {
        actor.require(Permission::DrillsRead)?;
        let row = self.store().drills().get(id).await?;
        let mut report: Option<DrillReport> = None;
        let mut failure = None;
        if let Some(json) = &row.report_json {
            if row.status == "finished" {
                report = serde_json::from_str(json).ok();
            } else {
                failure = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from));
            }
        }
        if let (Some(root), Some(r)) = (&actor.scope.root, report.as_mut()) {
            let inside = |code: &str| {
                JurisdictionCode::parse(code)
                    .is_ok_and(|c| root.contains(code) || c.contains(root.as_str()))
            };
            r.counties.retain(|c| inside(&c.code));
            r.occupancy.retain(|c| inside(&c.code));
            r.stockouts.retain(|c| inside(&c.county));
            if r.counties.is_empty() {
                return Err(Error::NotFound);
            }
            r.total = None;
            r.daily.clear();
        }
        Ok(Drill {
            row,
            report,
            failure,
        })
    }

    /// The simulation, the feeds and the scoring of one drill.
    async fn drive(
        &self,
        actor: &Actor,
        run: &DrillRun,
        drill_id: i64,
        start_day: NaiveDate,
    ) -> Result<DrillReport> {
        let s = &run.scenario;
        let city = self.drill_city(s).await?;
        let initial = seeds(&city, s)?;
        let mut sim = Simulation::new(&city.population, s.simulation.clone(), &initial, s.seed)
            .map_err(|e| Error::invalid("simulation", e.to_string()))?;
        sim.record_events(true);
        let days = run.until_day.map_or(s.days, |d| d.min(s.days));
        let mut feeder = Feeder::new(self, actor, &city, s, start_day).await?;
        if s.seeding.setting == Setting::Travel {
            feeder.travellers(&initial.infections).await?;
            feeder.co_investigation_push(&initial.infections).await?;
        }
        let mut reports = Vec::with_capacity(usize::from(days));
        let mut events = Vec::new();
        for day in 0..days {
            let report = sim.step();
            let today = sim.take_events();
            // The day is fed the next morning at 08:00, when every event of it has happened.
            let feed_at =
                china_midnight_ms(start_day + Duration::days(i64::from(day) + 1)) + 8 * MS_PER_HOUR;
            run.pace.reach(ms_to_utc(feed_at)).await;
            feeder.feed_day(day, &today).await?;
            self.store()
                .drills()
                .set_day_reached(drill_id, i64::from(day) + 1)
                .await?;
            events.extend(today);
            reports.push(report);
        }
        let output = fangkong_sim::Output {
            county_codes: city.population.county_codes().to_vec(),
            days: reports,
            events,
        };
        let feeds = feeder.feeds.clone();
        self.score_drill(actor, s, &city, &output, start_day, days, feeds)
            .await
    }

    /// The scenario's city as the simulator's population, mapped to the registry.
    async fn drill_city(&self, s: &DrillScenario) -> Result<City> {
        let config = demo_config(s);
        let identity = format!("{}:{}:{}", config.city_code, config.population, config.seed);
        if self.store().meta().get("demo.city").await?.as_deref() != Some(identity.as_str()) {
            return Err(Error::invalid(
                "scenario",
                format!("the sandbox does not hold the city {identity} the scenario names; prepare it first"),
            ));
        }
        let plan = self.city_plan(&config).await?;
        let seed = s.city_seed;
        tokio::task::spawn_blocking(move || build_city(&plan, seed))
            .await
            .map_err(|e| Error::Conflict(format!("building the drill city failed: {e}")))?
    }

    #[allow(clippy::too_many_arguments)]
    async fn score_drill(
        &self,
        actor: &Actor,
        s: &DrillScenario,
        city: &City,
        output: &fangkong_sim::Output,
        start_day: NaiveDate,
        days: u16,
        feeds: Feeds,
    ) -> Result<DrillReport> {
        let codes = city.population.county_codes();
        let names: HashMap<String, String> = {
            let mut m = HashMap::new();
            for c in codes {
                let name = self
                    .store()
                    .jurisdictions()
                    .get(c)
                    .await
                    .map(|j| j.name)
                    .unwrap_or_default();
                m.insert(c.clone(), name);
            }
            m
        };
        let k = codes.len();
        let d = usize::from(days);
        // Hospital occupancy by county and day, from admissions and recoveries.
        let mut in_hospital = vec![vec![0u32; d]; k];
        let mut admitted_day: HashMap<u32, u16> = HashMap::new();
        for e in &output.events {
            match e.kind {
                EventKind::Admission => {
                    admitted_day.insert(e.person, e.day);
                }
                EventKind::Recovery => {
                    if let Some(from) = admitted_day.remove(&e.person) {
                        let c = usize::from(city.population.county_of(e.person));
                        let until = usize::from(e.day).min(d);
                        for slot in in_hospital[c]
                            .iter_mut()
                            .take(until)
                            .skip(usize::from(from))
                        {
                            *slot += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        for (&p, &from) in &admitted_day {
            let c = usize::from(city.population.county_of(p));
            for slot in in_hospital[c].iter_mut().skip(usize::from(from)) {
                *slot += 1;
            }
        }
        // Capacity by county.
        let county_of = |community: &str| community.chars().take(6).collect::<String>();
        let mut quarantine_beds: HashMap<String, u32> = HashMap::new();
        for site in self.isolation_sites(actor).await? {
            *quarantine_beds
                .entry(county_of(&site.community_code))
                .or_default() += u32::try_from(site.beds).unwrap_or(0);
        }
        let mut hospital_beds: HashMap<String, u32> = HashMap::new();
        for h in self.hospitals(actor).await? {
            *hospital_beds
                .entry(county_of(&h.community_code))
                .or_default() +=
                u32::try_from(h.beds_general + h.beds_icu + h.beds_isolation).unwrap_or(0);
        }
        let mut occupancy = Vec::with_capacity(k);
        let mut scores: Vec<CountyScore> = codes
            .iter()
            .map(|c| CountyScore {
                code: c.clone(),
                name: names.get(c).cloned().unwrap_or_default(),
                ..CountyScore::default()
            })
            .collect();
        for (ci, code) in codes.iter().enumerate() {
            let q_beds = quarantine_beds.get(code).copied().unwrap_or(0);
            let h_beds = hospital_beds.get(code).copied().unwrap_or(0);
            let isolation_demand: Vec<u32> = output
                .days
                .iter()
                .map(|r| r.counties[ci].isolated + r.counties[ci].quarantined)
                .collect();
            let score = &mut scores[ci];
            score.infections = output.days.iter().map(|r| r.counties[ci].infections).sum();
            for &x in &isolation_demand {
                if x > q_beds {
                    score.isolation_shortfall_days += 1;
                    score.isolation_peak_shortfall = score.isolation_peak_shortfall.max(x - q_beds);
                }
            }
            score.bed_shortfall_days =
                in_hospital[ci].iter().filter(|&&x| x > h_beds).count() as u32;
            occupancy.push(Occupancy {
                code: code.clone(),
                name: score.name.clone(),
                quarantine_beds: q_beds,
                hospital_beds: h_beds,
                isolation_demand,
                hospital_demand: in_hospital[ci].clone(),
            });
        }
        // Stock-outs: each county's stock at the start against the consumption models
        // applied to the simulated activity.
        let stockouts = self
            .drill_stockouts(actor, codes, output, &in_hospital)
            .await?;
        for so in &stockouts {
            if let Some(c) = scores.iter_mut().find(|c| c.code == so.county) {
                c.stockouts += 1;
            }
        }
        // The four earlies and the tracing tasks, from the cases in the sandbox.
        let now = self.now_ms();
        let cases = self.cases(actor, None, None, 10_000).await?;
        let mut samples: Vec<[Vec<f64>; 4]> = vec![Default::default(); k];
        let st = &s.standards;
        for case in &cases {
            let county = county_of(&case.community_code);
            let Some(ci) = codes.iter().position(|c| *c == county) else {
                continue;
            };
            let score = &mut scores[ci];
            score.cases += 1;
            let f = &case.fields;
            let hours = |from: i64, to: i64| (to - from) as f64 / MS_PER_HOUR as f64;
            if let Some(onset) = f.onset_at.filter(|o| *o <= case.detected_at) {
                samples[ci][0].push(hours(onset, case.detected_at));
            }
            let report = hours(case.detected_at, case.reported_at);
            samples[ci][1].push(report);
            if report > st.report_hours {
                score.late_reports += 1;
            }
            let iso_deadline = case.reported_at + (st.isolation_hours * MS_PER_HOUR as f64) as i64;
            match f.isolated_at {
                Some(at) => {
                    let h = hours(case.reported_at, at).max(0.0);
                    samples[ci][2].push(h);
                    if h > st.isolation_hours {
                        score.late_isolations += 1;
                    }
                }
                None if now > iso_deadline => score.late_isolations += 1,
                None => {}
            }
            if let Some(at) = f.admitted_at {
                samples[ci][3].push(hours(case.reported_at, at).max(0.0));
            }
            let task_deadline = case.reported_at + (st.tracing_hours * MS_PER_HOUR as f64) as i64;
            for done in [f.itinerary_completed_at, f.contacts_controlled_at] {
                let late = match done {
                    Some(at) => at > task_deadline,
                    None => now > task_deadline,
                };
                if late {
                    score.late_tasks += 1;
                }
            }
        }
        let limits = [
            st.detection_hours,
            st.report_hours,
            st.isolation_hours,
            st.treatment_hours,
        ];
        // Co-investigation items pushed into each county: late when still open past the
        // deadline at the end or fed back after it.
        let co = self.co_investigation_stats(actor, None).await?;
        for row in &co.by_county {
            if let Some(score) = scores.iter_mut().find(|c| c.code == row.key) {
                score.co_items += u32::try_from(row.total).unwrap_or(0);
                score.late_tasks += u32::try_from(row.overdue + row.late).unwrap_or(0);
            }
        }
        for (ci, score) in scores.iter_mut().enumerate() {
            let [a, b, c, e] = &samples[ci];
            score.detection = delay(a, limits[0]);
            score.report = delay(b, limits[1]);
            score.isolation = delay(c, limits[2]);
            score.treatment = delay(e, limits[3]);
            score.score = composite(score, days);
        }
        let mut total = CountyScore {
            code: codes
                .first()
                .map(|c| c.chars().take(4).collect())
                .unwrap_or_default(),
            name: String::new(),
            ..CountyScore::default()
        };
        {
            let all: [Vec<f64>; 4] = std::array::from_fn(|i| {
                samples.iter().flat_map(|s| s[i].iter().copied()).collect()
            });
            total.detection = delay(&all[0], limits[0]);
            total.report = delay(&all[1], limits[1]);
            total.isolation = delay(&all[2], limits[2]);
            total.treatment = delay(&all[3], limits[3]);
            for c in &scores {
                total.infections += c.infections;
                total.cases += c.cases;
                total.late_reports += c.late_reports;
                total.late_isolations += c.late_isolations;
                total.late_tasks += c.late_tasks;
                total.co_items += c.co_items;
                total.stockouts += c.stockouts;
            }
            let city_q: u32 = occupancy.iter().map(|o| o.quarantine_beds).sum();
            let city_h: u32 = occupancy.iter().map(|o| o.hospital_beds).sum();
            for day in 0..d {
                let q: u32 = occupancy.iter().map(|o| o.isolation_demand[day]).sum();
                let h: u32 = occupancy.iter().map(|o| o.hospital_demand[day]).sum();
                if q > city_q {
                    total.isolation_shortfall_days += 1;
                    total.isolation_peak_shortfall = total.isolation_peak_shortfall.max(q - city_q);
                }
                if h > city_h {
                    total.bed_shortfall_days += 1;
                }
            }
            total.score = composite(&total, days);
            if let Ok(j) = self.store().jurisdictions().get(&total.code).await {
                total.name = j.name;
            }
        }
        let daily = output
            .days
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let t: Counts = r.total();
                DailyPoint {
                    day: r.day,
                    date: (start_day + Duration::days(i as i64)).to_string(),
                    infections: t.infections,
                    detections: t.detections(),
                    isolated: t.isolated,
                    quarantined: t.quarantined,
                    in_hospital: in_hospital.iter().map(|c| c[i]).sum(),
                    tubes: t.tubes,
                }
            })
            .collect();
        Ok(DrillReport {
            scenario: s.name.clone(),
            seed: s.seed,
            days,
            start_day: start_day.to_string(),
            standards: s.standards.clone(),
            total: Some(total),
            counties: scores,
            daily,
            occupancy,
            stockouts,
            feeds,
        })
    }

    /// Items that run out in a county: the county's stock (its warehouses) when the drill
    /// began against the consumption models applied to each day's tubes, people isolated
    /// or quarantined, and patients in hospital.
    async fn drill_stockouts(
        &self,
        actor: &Actor,
        codes: &[String],
        output: &fangkong_sim::Output,
        in_hospital: &[Vec<u32>],
    ) -> Result<Vec<StockOut>> {
        let items = self.supply_items(actor).await?;
        let warehouses = self.warehouses(actor).await?;
        let stock = self
            .store()
            .supplies()
            .stock(&actor.scope, None, None)
            .await?;
        let mut held: HashMap<(String, i64), f64> = HashMap::new();
        for row in &stock {
            if let Some(w) = warehouses.iter().find(|w| w.id == row.warehouse_id) {
                let county: String = w.community_code.chars().take(6).collect();
                *held.entry((county, row.item_id)).or_default() += row.quantity as f64;
            }
        }
        let mut out = Vec::new();
        for (ci, code) in codes.iter().enumerate() {
            for item in &items {
                let daily: Vec<f64> = output
                    .days
                    .iter()
                    .enumerate()
                    .map(|(day, r)| {
                        let c = &r.counties[ci];
                        f64::from(c.tubes) * item.per_sample
                            + f64::from(c.isolated + c.quarantined) * item.per_quarantine_day
                            + f64::from(in_hospital[ci][day]) * item.per_bed_day_general
                    })
                    .collect();
                let demand: f64 = daily.iter().sum();
                if demand <= 0.0 {
                    continue;
                }
                let have = held.get(&(code.clone(), item.id)).copied().unwrap_or(0.0);
                let mut used = 0.0;
                for (day, x) in daily.iter().enumerate() {
                    used += x;
                    if used > have {
                        out.push(StockOut {
                            county: code.clone(),
                            item_code: item.code.clone(),
                            item_name: item.name.clone(),
                            unit: item.unit.clone(),
                            stock: have,
                            demand: (demand * 10.0).round() / 10.0,
                            day: day as u16,
                        });
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}

fn demo_config(s: &DrillScenario) -> DemoConfig {
    DemoConfig {
        city_code: "4117".into(),
        population: s.population,
        seed: s.city_seed,
    }
}

fn ms_to_utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` in China Standard Time, the form the case inputs take.
fn cst(ms: i64) -> String {
    ms_to_utc(ms + 8 * MS_PER_HOUR)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// SplitMix64 of a few words: the drill's deterministic times and counts.
pub(crate) fn mix(words: &[u64]) -> u64 {
    let mut z = 0x9e37_79b9_7f4a_7c15u64;
    for &w in words {
        z ^= w.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    z
}

/// Vaccine doses by age: shares of (0, 1, 2, 3) doses, roughly China's coverage at the end
/// of 2022 (the same shares as `fangkong-bench sim`), drawn from a hash of the person.
fn doses(age: u32, seed: u64, person: u64) -> u8 {
    let shares: [f64; 4] = match age {
        0..=2 => [1.0, 0.0, 0.0, 0.0],
        3..=11 => [0.15, 0.05, 0.8, 0.0],
        12..=17 => [0.05, 0.03, 0.5, 0.42],
        18..=59 => [0.05, 0.03, 0.27, 0.65],
        60..=79 => [0.08, 0.03, 0.17, 0.72],
        _ => [0.31, 0.03, 0.26, 0.40],
    };
    let u = (mix(&[seed, person]) >> 11) as f64 / (1u64 << 53) as f64;
    let mut acc = 0.0;
    for (d, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return d as u8;
        }
    }
    3
}

/// Regenerates the city the sandbox holds (the generator is deterministic) as the
/// simulator's population.
fn build_city(plan: &fangkong_synth::CityPlan, seed: u64) -> Result<City> {
    let mut counties: Vec<String> = Vec::new();
    let mut communities: Vec<Community> = Vec::new();
    let mut community_index: HashMap<String, u32> = HashMap::new();
    for t in &plan.townships {
        for c in &t.communities {
            let county = c.code[..6].to_string();
            let k = match counties.iter().position(|x| *x == county) {
                Some(k) => k,
                None => {
                    counties.push(county);
                    counties.len() - 1
                }
            };
            community_index.insert(c.code.clone(), communities.len() as u32);
            communities.push(Community {
                code: c.code.clone(),
                county: u16::try_from(k)
                    .map_err(|_| Error::invalid("city", "too many counties"))?,
            });
        }
    }
    let today = plan.config.reference_date;
    let chunks: Vec<fangkong_synth::TownshipChunk> = (0..plan.townships.len())
        .into_par_iter()
        .map(|i| fangkong_synth::generate_township(plan, i))
        .collect();
    let mut subtypes: HashMap<i64, String> = HashMap::new();
    for chunk in &chunks {
        for f in &chunk.facilities {
            subtypes.insert(f.id, f.subtype.clone());
        }
    }
    let mut residents = Vec::new();
    let mut people = Vec::new();
    let id32 = |x: i64| {
        u32::try_from(x.max(1) - 1).map_err(|_| Error::invalid("city", "an id beyond u32"))
    };
    for chunk in &chunks {
        for p in &chunk.persons {
            let age = fangkong_domain::age_band::age_on(p.national_id.birth_date(), today);
            let Some(&community) = community_index.get(&p.community_code) else {
                return Err(Error::invalid(
                    "city",
                    format!("a person in unplanned community {}", p.community_code),
                ));
            };
            residents.push(Resident {
                age: age.min(120) as u8,
                household: id32(p.household_id)?,
                school: p.school_id.map(id32).transpose()?,
                workplace: p.workplace_id.map(id32).transpose()?,
                community,
                doses: doses(age, seed, p.id as u64),
            });
            people.push(CityPerson {
                id: p.id,
                name: p.name.clone(),
                national_id: p.national_id.to_string(),
                community_code: p.community_code.clone(),
                workplace_subtype: p.workplace_id.and_then(|w| subtypes.get(&w).cloned()),
            });
        }
    }
    let population = Population::new(counties, communities, &residents)
        .map_err(|e| Error::invalid("city", e.to_string()))?;
    Ok(City { population, people })
}

/// The people infected on day 0, as the scenario's seeding places them.
fn seeds(city: &City, s: &DrillScenario) -> Result<InitialState> {
    let pop = &city.population;
    let n = s.seeding.cases as usize;
    let wanted = &s.seeding.counties;
    for c in wanted {
        if !pop.county_codes().contains(c) {
            return Err(Error::invalid(
                "seeding.counties",
                format!("{c} is not a county of the drill's city"),
            ));
        }
    }
    let county_ok = |i: usize| {
        let code = &pop.county_codes()[usize::from(pop.county_of(i as u32))];
        wanted.is_empty() || wanted.contains(code)
    };
    let rank = |i: usize| mix(&[s.seed, i as u64]);
    let chosen: Vec<u32> = match s.seeding.setting {
        Setting::ColdChain | Setting::School => {
            // The largest group of the kind (a cold-chain warehouse's workers, a school's
            // pupils) whose members live in the allowed counties; its members by rank.
            let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
            for (i, p) in city.people.iter().enumerate() {
                if !county_ok(i) {
                    continue;
                }
                let key = match s.seeding.setting {
                    Setting::ColdChain => (p.workplace_subtype.as_deref() == Some("cold_chain"))
                        .then(|| workplace_of(pop, i))
                        .flatten(),
                    _ => school_of(pop, i),
                };
                if let Some(g) = key {
                    groups.entry(g).or_default().push(i as u32);
                }
            }
            let Some((_, mut members)) = groups
                .into_iter()
                .max_by_key(|(g, m)| (m.len(), std::cmp::Reverse(*g)))
            else {
                return Err(Error::invalid(
                    "seeding.setting",
                    format!(
                        "the drill's city has no {} in the chosen counties",
                        s.seeding.setting.as_str()
                    ),
                ));
            };
            members.sort_by_key(|&i| rank(i as usize));
            members.into_iter().take(n).collect()
        }
        Setting::Travel => {
            // Spread over the counties in turn, adults only.
            let mut by_county: BTreeMap<u16, Vec<u32>> = BTreeMap::new();
            for i in 0..pop.len() {
                if county_ok(i) && (18..70).contains(&age_of(pop, i)) {
                    by_county
                        .entry(pop.county_of(i as u32))
                        .or_default()
                        .push(i as u32);
                }
            }
            for m in by_county.values_mut() {
                m.sort_by_key(|&i| rank(i as usize));
            }
            let mut out = Vec::new();
            let mut round = 0;
            while out.len() < n && by_county.values().any(|m| m.len() > round) {
                for m in by_county.values() {
                    if out.len() < n {
                        if let Some(&p) = m.get(round) {
                            out.push(p);
                        }
                    }
                }
                round += 1;
            }
            out
        }
        Setting::Community => {
            let mut all: Vec<u32> = (0..pop.len())
                .filter(|&i| county_ok(i))
                .map(|i| i as u32)
                .collect();
            all.sort_by_key(|&i| rank(i as usize));
            all.truncate(n);
            all
        }
    };
    if chosen.len() < n {
        return Err(Error::invalid(
            "seeding.cases",
            format!("only {} people fit the seeding", chosen.len()),
        ));
    }
    Ok(InitialState {
        infections: chosen,
        ..InitialState::default()
    })
}

fn workplace_of(pop: &Population, i: usize) -> Option<u32> {
    pop.resident(i as u32).workplace
}

fn school_of(pop: &Population, i: usize) -> Option<u32> {
    pop.resident(i as u32).school
}

fn age_of(pop: &Population, i: usize) -> u8 {
    pop.resident(i as u32).age
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn delay(values: &[f64], limit: f64) -> Delay {
    let mut v = values.to_vec();
    Delay {
        n: v.len() as u32,
        on_time: v.iter().filter(|&&x| x <= limit).count() as u32,
        mean_hours: (!v.is_empty()).then(|| round2(v.iter().sum::<f64>() / v.len() as f64)),
        median_hours: median(&mut v).map(round2),
    }
}

/// The composite score (docs/drills.md): the mean share on time over the four earlies and
/// the tracing tasks (a stage with no case counts as fully on time), times 100, less 2
/// points a day of isolation or bed shortfall (at most 30) and 5 points a stock-out (at most
/// 30), never below 0.
fn composite(c: &CountyScore, days: u16) -> f64 {
    let share = |on: u32, n: u32| {
        if n == 0 {
            1.0
        } else {
            f64::from(on) / f64::from(n)
        }
    };
    let tasks = 2 * c.cases + c.co_items;
    let shares = [
        share(c.detection.on_time, c.detection.n),
        share(c.report.on_time, c.report.n),
        share(c.cases.saturating_sub(c.late_isolations), c.cases),
        share(c.treatment.on_time, c.treatment.n),
        share(tasks.saturating_sub(c.late_tasks), tasks),
    ];
    let timeliness = shares.iter().sum::<f64>() / shares.len() as f64 * 100.0;
    let shortfall =
        f64::from((c.isolation_shortfall_days + c.bed_shortfall_days).min(u32::from(days))) * 2.0;
    let stock = f64::from(c.stockouts) * 5.0;
    round2((timeliness - shortfall.min(30.0) - stock.min(30.0)).max(0.0))
}

/// Co-passengers pushed with each traveller of the travel setting.
const CO_PASSENGERS: usize = 4;

/// Feeds each day's events into the sandbox.
struct Feeder<'a> {
    app: &'a App,
    actor: &'a Actor,
    city: &'a City,
    scenario: &'a DrillScenario,
    start_day: NaiveDate,
    /// Fever clinics, schools and cold-chain stores by county index.
    fever_clinics: Vec<Vec<i64>>,
    schools: Vec<Vec<i64>>,
    cold_chain: Vec<Vec<i64>>,
    /// Symptomatic people by day of onset, for the fever-clinic counts.
    onset_ms: HashMap<u32, i64>,
    /// Registered cases by person index: (case id, reported at, classification).
    cases: HashMap<u32, (i64, i64, bool)>,
    feeds: Feeds,
}

impl<'a> Feeder<'a> {
    async fn new(
        app: &'a App,
        actor: &'a Actor,
        city: &'a City,
        scenario: &'a DrillScenario,
        start_day: NaiveDate,
    ) -> Result<Feeder<'a>> {
        let codes = city.population.county_codes();
        let mut fever_clinics = vec![Vec::new(); codes.len()];
        let mut schools = vec![Vec::new(); codes.len()];
        let mut cold_chain = vec![Vec::new(); codes.len()];
        let mut sentinels = app.sentinels(actor, None, None).await?;
        sentinels.sort_by_key(|s| s.sentinel.id);
        for s in sentinels {
            let county: String = s.sentinel.community_code.chars().take(6).collect();
            let Some(k) = codes.iter().position(|c| *c == county) else {
                continue;
            };
            match s.sentinel.sentinel_type.as_str() {
                "fever_clinic" => fever_clinics[k].push(s.sentinel.id),
                "school" => schools[k].push(s.sentinel.id),
                "cold_chain_store" => cold_chain[k].push(s.sentinel.id),
                _ => {}
            }
        }
        Ok(Feeder {
            app,
            actor,
            city,
            scenario,
            start_day,
            fever_clinics,
            schools,
            cold_chain,
            onset_ms: HashMap::new(),
            cases: HashMap::new(),
            feeds: Feeds::default(),
        })
    }

    fn day_start_ms(&self, day: u16) -> i64 {
        china_midnight_ms(self.start_day + Duration::days(i64::from(day)))
    }

    /// A deterministic moment of `day` between `from_hour` and `to_hour` (CST) for a person
    /// and a purpose.
    fn moment(&self, day: u16, person: u32, purpose: u64, from_hour: i64, to_hour: i64) -> i64 {
        let span = (to_hour - from_hour).max(1) * 60;
        let minutes = (mix(&[self.scenario.seed, u64::from(person), purpose]) % span as u64) as i64;
        self.day_start_ms(day) + from_hour * MS_PER_HOUR + minutes * MS_PER_MINUTE
    }

    /// The seeds of a travel scenario enter as a traveller list on day 0: returned from a
    /// high-risk area (Beijing Chaoyang, as the demo's designations) the day before.
    async fn travellers(&mut self, seeds: &[u32]) -> Result<()> {
        let mut csv = String::from(
            "name,id_number,community_code,origin,departed_on,arrived_at,route,vaccination,source\n",
        );
        let day0 = self.start_day;
        for &i in seeds {
            let p = &self.city.people[i as usize];
            let minutes = mix(&[self.scenario.seed, u64::from(i), 1]) % 600 + 360;
            let _ = writeln!(
                csv,
                "{},{},{},110105,{},{} {:02}:{:02},G{},full,upper_push",
                p.name,
                p.national_id,
                p.community_code,
                day0 - Duration::days(2),
                day0 - Duration::days(1),
                minutes / 60,
                minutes % 60,
                mix(&[self.scenario.seed, u64::from(i), 2]) % 9000 + 1
            );
        }
        self.app
            .import_travel(self.actor, "drill-travellers.csv", csv.as_bytes())
            .await?;
        self.feeds.travellers += seeds.len() as u32;
        Ok(())
    }

    /// The province's push: the travellers and their co-passengers (people of the city on
    /// the same train, [`CO_PASSENGERS`] a traveller), a co-investigation task with a
    /// 24-hour deadline, created as a push from above is.
    async fn co_investigation_push(&mut self, seeds: &[u32]) -> Result<()> {
        let pop = &self.city.population;
        let seeded: std::collections::HashSet<u32> = seeds.iter().copied().collect();
        let mut adults: Vec<u32> = (0..pop.len() as u32)
            .filter(|&i| (18..70).contains(&age_of(pop, i as usize)) && !seeded.contains(&i))
            .collect();
        adults.sort_by_key(|&i| mix(&[self.scenario.seed, u64::from(i), 3]));
        let mut records = Vec::new();
        let mut companions = adults.into_iter();
        for &i in seeds {
            let group = std::iter::once(i).chain(companions.by_ref().take(CO_PASSENGERS));
            for p in group {
                let person = &self.city.people[p as usize];
                let id = fangkong_domain::NationalId::parse(&person.national_id)
                    .map_err(|e| Error::invalid("drill", e.to_string()))?;
                records.push(fangkong_ingest::co_investigation::ItemRecord {
                    line: records.len() as u64 + 2,
                    subject: fangkong_ingest::co_investigation::ItemSubject::Person(id),
                    note: if p == i {
                        "同车病例 / the case".to_string()
                    } else {
                        "同车人员 / co-passenger".to_string()
                    },
                });
            }
        }
        let deadline = self.start_day + Duration::days(1);
        self.app
            .create_co_task(
                self.actor,
                &crate::co_investigation::TaskInput {
                    title: "省级推送：外地病例同车人员协查".to_string(),
                    reason: "外地确诊病例乘坐列车抵达本市，同车人员须24小时内落地管控".to_string(),
                    source: "省疫情防控指挥部（演练）".to_string(),
                    deadline: format!("{deadline} 08:00"),
                    target_code: pop.county_codes().first().map(|c| c[..4].to_string()),
                },
                &records,
            )
            .await?;
        self.feeds.co_investigation_items += records.len() as u32;
        Ok(())
    }

    async fn feed_day(&mut self, day: u16, events: &[fangkong_sim::Event]) -> Result<()> {
        let pop = &self.city.population;
        let k = pop.county_codes().len();
        // Onsets first: they are the fever-clinic and school counts, and the onset time of
        // cases found later.
        let mut fever: Vec<u32> = vec![0; k];
        let mut pupils: Vec<u32> = vec![0; k];
        let mut cold_staff: Vec<u32> = vec![0; k];
        let mut positives: Vec<u32> = vec![0; k];
        for e in events {
            let c = usize::from(pop.county_of(e.person));
            match e.kind {
                EventKind::Onset => {
                    let at = self.moment(day, e.person, 10, 6, 20);
                    self.onset_ms.insert(e.person, at);
                    fever[c] += 1;
                    if pop.resident(e.person).school.is_some() {
                        pupils[c] += 1;
                    }
                    if self.city.people[e.person as usize]
                        .workplace_subtype
                        .as_deref()
                        == Some("cold_chain")
                    {
                        cold_staff[c] += 1;
                    }
                }
                EventKind::Detection {
                    route: Route::Symptomatic,
                } => positives[c] += 1,
                _ => {}
            }
        }
        self.sentinel_reports(day, &fever, &pupils, &cold_staff, &positives)
            .await?;
        // Detections: a sample and its positive result through the testing ingest (a
        // positive single tube makes a suspected case), then the case registered.
        let detections: Vec<(u32, Route)> = events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Detection { route } => Some((e.person, route)),
                _ => None,
            })
            .collect();
        if !detections.is_empty() {
            self.tests(day, &detections).await?;
        }
        for &(person, route) in &detections {
            self.register(day, person, route).await?;
        }
        for e in events {
            match e.kind {
                EventKind::Isolation => self.isolate(day, e.person).await?,
                EventKind::Admission => self.admit(day, e.person).await?,
                EventKind::Onset => self.late_onset(e.person).await?,
                EventKind::Recovery => self.recover(day, e.person).await?,
                _ => {}
            }
        }
        Ok(())
    }

    async fn sentinel_reports(
        &mut self,
        day: u16,
        fever: &[u32],
        pupils: &[u32],
        cold_staff: &[u32],
        positives: &[u32],
    ) -> Result<()> {
        let date = (self.start_day + Duration::days(i64::from(day))).to_string();
        let seed = self.scenario.seed;
        let mut rows = Vec::new();
        let mut push = |sentinel: i64, indicator: &str, count: u32| {
            rows.push(ReportInput {
                sentinel_id: sentinel,
                day: date.clone(),
                indicator: indicator.into(),
                count: i64::from(count),
            });
        };
        // A county's onsets and positives are shared over its sentinels of the type, the
        // remainder to the first; each also has its own background.
        let share = |total: u32, n: usize, j: usize| {
            let n = n as u32;
            total / n + u32::from(j == 0) * (total % n)
        };
        for c in 0..fever.len() {
            let clinics = &self.fever_clinics[c];
            for (j, &s) in clinics.iter().enumerate() {
                let bg = |w: u64, m: u64| (mix(&[seed, s as u64, u64::from(day), w]) % m) as u32;
                let patients = bg(1, 4) + share(fever[c], clinics.len(), j);
                push(s, "visits", 30 + bg(2, 20) + patients);
                push(s, "fever_patients", patients);
                push(s, "positive_tests", share(positives[c], clinics.len(), j));
            }
            let schools = &self.schools[c];
            for (j, &s) in schools.iter().enumerate() {
                let bg = |w: u64, m: u64| (mix(&[seed, s as u64, u64::from(day), w]) % m) as u32;
                let fever_abs = share(pupils[c], schools.len(), j);
                let illness = fever_abs + bg(3, 3);
                push(s, "fever_absences", fever_abs);
                push(s, "illness_absences", illness);
                push(s, "absences", illness + bg(4, 6));
            }
            let stores = &self.cold_chain[c];
            for (j, &s) in stores.iter().enumerate() {
                // The contaminated goods: one positive environment sample on day 2 in the
                // county of a cold-chain scenario's seeds.
                let planted = u32::from(
                    day == 2
                        && j == 0
                        && self.scenario.seeding.setting == Setting::ColdChain
                        && fever.len() > c
                        && self.is_seed_county(c),
                );
                push(s, "fever_staff", share(cold_staff[c], stores.len(), j));
                push(s, "positive_samples", planted);
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        let n = rows.len() as u32;
        for chunk in rows.chunks(2000) {
            self.app
                .submit_sentinel_reports(self.actor, ReportSource::Api, chunk)
                .await?;
        }
        self.feeds.sentinel_reports += n;
        let run = self
            .app
            .run_sentinel_aberration(
                self.actor,
                Some(self.start_day + Duration::days(i64::from(day))),
            )
            .await?;
        self.feeds.sentinel_alerts += run.created.len() as u32;
        Ok(())
    }

    fn is_seed_county(&self, c: usize) -> bool {
        let codes = self.city.population.county_codes();
        let wanted = &self.scenario.seeding.counties;
        wanted.is_empty() || wanted.contains(&codes[c])
    }

    fn detected_ms(&self, day: u16, person: u32) -> i64 {
        let at = self.moment(day, person, 20, 8, 18);
        match self.onset_ms.get(&person) {
            Some(&onset) if onset >= at => onset + MS_PER_HOUR,
            _ => at,
        }
    }

    /// The sample of each detected case, collected `result_delay` days before (or the same
    /// morning), and its positive result an hour before the detection.
    async fn tests(&mut self, day: u16, detections: &[(u32, Route)]) -> Result<()> {
        let delay = self.scenario.simulation.response.result_delay;
        let mut samples = String::from("tube_id,id_number,site_code,collected_at,pool_size\n");
        let mut results = String::from("tube_id,result,lab_code,tested_at,reported_at\n");
        for &(person, _) in detections {
            let p = &self.city.people[person as usize];
            let detected = self.detected_ms(day, person);
            let collected_day = day.saturating_sub(delay);
            let collected = self
                .moment(collected_day, person, 30, 7, 11)
                .min(detected - 2 * MS_PER_HOUR);
            let tube = format!("DRILL-{}-{person}", self.scenario.name);
            let _ = writeln!(
                samples,
                "{tube},{},DRILL-SITE,{},1",
                p.national_id,
                cst(collected)
            );
            let _ = writeln!(
                results,
                "{tube},positive,DRILL-LAB,{},{}",
                cst(detected - MS_PER_HOUR),
                cst(detected - MS_PER_HOUR / 2)
            );
        }
        let name = format!("drill-day{day}");
        let s = self
            .app
            .ingest_samples(
                self.actor,
                &format!("{name}-samples.csv"),
                samples.as_bytes(),
            )
            .await?;
        let r = self
            .app
            .ingest_results(
                self.actor,
                &format!("{name}-results.csv"),
                results.as_bytes(),
            )
            .await?;
        self.feeds.samples += s.stored as u32;
        self.feeds.results += r.stored as u32;
        Ok(())
    }

    async fn register(&mut self, day: u16, person: u32, route: Route) -> Result<()> {
        let p = &self.city.people[person as usize];
        let detected = self.detected_ms(day, person);
        // Direct network report: most within the two hours, some later (the tail a drill
        // is meant to find), by a draw per case.
        let draw = mix(&[self.scenario.seed, u64::from(person), 40]) % 100;
        let report_minutes = match draw {
            0..=59 => 20 + draw as i64,
            60..=84 => 90 + (draw as i64 - 60) * 3,
            _ => 180 + (draw as i64 - 85) * 20,
        };
        let day_end = self.day_start_ms(day) + 24 * MS_PER_HOUR - MS_PER_MINUTE;
        let reported = (detected + report_minutes * MS_PER_MINUTE).min(day_end);
        let onset = self
            .onset_ms
            .get(&person)
            .copied()
            .filter(|&o| o <= detected);
        let detection = match route {
            Route::Symptomatic => "fever_clinic",
            Route::Quarantine => "contact_follow_up",
            Route::Screening => "testing_round",
            Route::Admission => "other",
        };
        let case = self
            .app
            .register_case(
                self.actor,
                &CaseInput {
                    person_id: Some(p.id),
                    id_number: None,
                    classification: if onset.is_some() {
                        "confirmed".into()
                    } else {
                        "asymptomatic".into()
                    },
                    detection: detection.into(),
                    source_tube: Some(format!("DRILL-{}-{person}", self.scenario.name)),
                    source_alert: None,
                    onset_at: onset.map(cst),
                    detected_at: Some(cst(detected)),
                    reported_at: Some(cst(reported)),
                    severity: Some(
                        if route == Route::Admission {
                            "severe"
                        } else {
                            "mild"
                        }
                        .into(),
                    ),
                },
            )
            .await?;
        self.cases
            .insert(person, (case.id, case.reported_at, onset.is_some()));
        self.feeds.cases += 1;
        Ok(())
    }

    async fn update(&self, case_id: i64, u: &CaseUpdate) -> Result<()> {
        self.app.update_case(self.actor, case_id, u).await?;
        Ok(())
    }

    async fn isolate(&mut self, day: u16, person: u32) -> Result<()> {
        let Some(&(case_id, reported, _)) = self.cases.get(&person) else {
            // Isolated without being a case: the simulation isolates only detected cases.
            return Ok(());
        };
        let day_end = self.day_start_ms(day) + 24 * MS_PER_HOUR - MS_PER_MINUTE;
        let lag = (mix(&[self.scenario.seed, u64::from(person), 50]) % 360) as i64 + 30;
        let at = (reported + lag * MS_PER_MINUTE)
            .max(self.moment(day, person, 51, 8, 20))
            .min(day_end.max(reported));
        self.update(
            case_id,
            &CaseUpdate {
                isolated_at: Some(cst(at)),
                note: Some("drill: isolated".into()),
                ..CaseUpdate::default()
            },
        )
        .await?;
        self.feeds.isolations += 1;
        Ok(())
    }

    async fn admit(&mut self, day: u16, person: u32) -> Result<()> {
        let Some(&(case_id, reported, _)) = self.cases.get(&person) else {
            return Ok(());
        };
        let at = self
            .moment(day, person, 60, 9, 21)
            .max(reported + MS_PER_HOUR);
        self.update(
            case_id,
            &CaseUpdate {
                admitted_at: Some(cst(at)),
                severity: Some("severe".into()),
                note: Some("drill: admitted".into()),
                ..CaseUpdate::default()
            },
        )
        .await?;
        self.feeds.admissions += 1;
        Ok(())
    }

    /// A case registered as asymptomatic whose symptoms begin later is confirmed.
    async fn late_onset(&mut self, person: u32) -> Result<()> {
        let Some(&(case_id, reported, false)) = self.cases.get(&person) else {
            return Ok(());
        };
        let Some(&onset) = self.onset_ms.get(&person) else {
            return Ok(());
        };
        self.update(
            case_id,
            &CaseUpdate {
                classification: Some("confirmed".into()),
                onset_at: Some(cst(onset.max(reported))),
                note: Some("drill: symptom onset".into()),
                ..CaseUpdate::default()
            },
        )
        .await?;
        if let Some(entry) = self.cases.get_mut(&person) {
            entry.2 = true;
        }
        Ok(())
    }

    async fn recover(&mut self, day: u16, person: u32) -> Result<()> {
        let Some(&(case_id, reported, _)) = self.cases.get(&person) else {
            return Ok(());
        };
        let at = self
            .moment(day, person, 70, 9, 17)
            .max(reported + MS_PER_HOUR);
        self.update(
            case_id,
            &CaseUpdate {
                outcome: Some("recovered".into()),
                outcome_at: Some(cst(at)),
                note: Some("drill: recovered".into()),
                ..CaseUpdate::default()
            },
        )
        .await?;
        self.feeds.recoveries += 1;
        Ok(())
    }
}
