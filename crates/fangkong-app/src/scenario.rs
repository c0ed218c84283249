//! Scenario forecasts (issue #12): an ensemble of simulated outbreaks started from the
//! platform's state, giving cases, admissions, quarantine demand and supply use for the next
//! 14–30 days with an uncertainty band.
//!
//! Data flow: the registry of the caller's jurisdiction (age, household, school, workplace,
//! community, recorded doses) becomes the simulator's [`Population`]; the open cases are
//! isolated on day 0, the people under a control measure are in quarantine for the days
//! their measure has left, and each case detected in the last [`RECENT_DAYS`] days stands
//! for [`HIDDEN_PER_RECENT_CASE`] infections not yet found, placed in the cases'
//! households first, then their communities. Each member of the ensemble runs the default
//! (Omicron-like) scenario with its own seed; the bands are the 5th, 50th and 95th
//! percentiles over the members, day by day. Supply use applies each item's consumption
//! model (`fangkong_supplies_plan::demand`) to the simulated quarantine person-days and
//! bed-days. The run is stored; the latest run of a jurisdiction younger than
//! [`FRESH_MS`] feeds the isolation and treatment capacity forecasts (arrivals) and the
//! supplies demand forecast (person-days and bed-days) in place of their trends.
//!
//! Assumptions, named so they can be argued with: one hidden infection per recent case
//! (the share of infections found within a week under routine testing is about one half);
//! people who recovered earlier are not immune in the model (it forecasts a 30-day horizon
//! of a new wave); the hospital stock is the sum of the last [`HOSPITAL_STAY_DAYS`] days'
//! severe admissions (the default severe course is 10 days).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use fangkong_domain::{age_band::age_on, Permission};
use fangkong_sim::{
    Community, InitialState, Population, Quarantined, Resident, Scenario, Simulation,
};
use fangkong_store::forecasts::NewScenarioRun;
use fangkong_supplies_plan::demand::{self, Activity};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::drills::mix;
use crate::{Actor, App, Error, Result};

/// Ensemble members when the request names none.
pub const DEFAULT_MEMBERS: u16 = 10;
/// The most members a request may ask for.
pub const MAX_MEMBERS: u16 = 50;
/// Days forecast when the request names none.
pub const DEFAULT_HORIZON: u16 = 14;
/// Cases detected within this many days stand for infections not yet found.
pub const RECENT_DAYS: i64 = 7;
/// Hidden infections per recent case.
pub const HIDDEN_PER_RECENT_CASE: f64 = 1.0;
/// Days a severe admission stays in hospital.
pub const HOSPITAL_STAY_DAYS: usize = 10;
/// A run younger than this feeds the capacity and supplies forecasts (two days).
pub const FRESH_MS: i64 = 2 * 86_400_000;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioRequest {
    /// 14 to 30 days.
    pub horizon_days: u16,
    /// 1 to [`MAX_MEMBERS`].
    pub members: u16,
    /// The ensemble's seed (members derive theirs from it); the run's id when absent.
    pub seed: Option<u64>,
}

impl Default for ScenarioRequest {
    fn default() -> ScenarioRequest {
        ScenarioRequest {
            horizon_days: DEFAULT_HORIZON,
            members: DEFAULT_MEMBERS,
            seed: None,
        }
    }
}

/// The 5th, 50th and 95th percentiles over the ensemble's members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub p5: f64,
    pub median: f64,
    pub p95: f64,
}

impl Band {
    /// Nearest-rank percentiles of `values` (not empty).
    pub fn of(values: &[f64]) -> Band {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| {
            if v.is_empty() {
                return 0.0;
            }
            let rank = (p * v.len() as f64).ceil().max(1.0) as usize;
            v[rank.min(v.len()) - 1]
        };
        Band {
            p5: at(0.05),
            median: at(0.5),
            p95: at(0.95),
        }
    }
}

/// One forecast day of the whole jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Cases found that day.
    pub cases: Band,
    /// Severe admissions that day.
    pub admissions: Band,
    /// People entering quarantine that day.
    pub quarantine_entries: Band,
    /// People in quarantine at the end of the day.
    pub in_quarantine: Band,
    /// Cases in isolation at the end of the day.
    pub isolated: Band,
    /// Severe cases in hospital.
    pub in_hospital: Band,
}

/// The medians of one county, day by day (the same dates as the jurisdiction's days).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyOutlook {
    pub county_code: String,
    pub cases: Vec<f64>,
    pub admissions: Vec<f64>,
    pub quarantine_entries: Vec<f64>,
    pub in_quarantine: Vec<f64>,
    pub isolated: Vec<f64>,
    pub in_hospital: Vec<f64>,
    /// Cases over the horizon.
    pub cases_total: Band,
}

/// An item's forecast use over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyOutlook {
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub daily: Vec<Band>,
    pub total: Band,
}

/// Where the run started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioStart {
    pub residents: u64,
    pub vaccinated: u64,
    pub isolated: u64,
    pub quarantined: u64,
    pub recent_cases: u64,
    pub hidden_infections: u64,
}

/// A stored ensemble run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioForecast {
    pub id: i64,
    pub jurisdiction_code: String,
    /// `YYYY-MM-DD`: the state the run started from; the first forecast day follows it.
    pub as_of: String,
    pub horizon_days: u16,
    pub members: u16,
    pub seed: u64,
    pub created_at_ms: i64,
    pub created_by: String,
    pub start: ScenarioStart,
    pub days: Vec<ScenarioDay>,
    pub counties: Vec<CountyOutlook>,
    pub supplies: Vec<SupplyOutlook>,
    /// Over the horizon: all cases, all admissions, the peak in quarantine.
    pub cases_total: Band,
    pub admissions_total: Band,
    pub quarantine_peak: Band,
}

/// The stored part (everything but the row's columns).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    start: ScenarioStart,
    days: Vec<ScenarioDay>,
    counties: Vec<CountyOutlook>,
    supplies: Vec<SupplyOutlook>,
    cases_total: Band,
    admissions_total: Band,
    quarantine_peak: Band,
}

/// One member's series, city-wide (index 0) and by county (1..).
#[derive(Debug, Clone, Default)]
struct Series {
    cases: Vec<f64>,
    admissions: Vec<f64>,
    quarantine_entries: Vec<f64>,
    in_quarantine: Vec<f64>,
    isolated: Vec<f64>,
    in_hospital: Vec<f64>,
}

impl Series {
    fn fields(&self) -> [&Vec<f64>; 6] {
        [
            &self.cases,
            &self.admissions,
            &self.quarantine_entries,
            &self.in_quarantine,
            &self.isolated,
            &self.in_hospital,
        ]
    }
}

struct Built {
    population: Population,
    initial: InitialState,
    start: ScenarioStart,
}

impl App {
    /// Runs an ensemble from the state of the caller's jurisdiction today and stores it.
    ///
    /// # Errors
    /// `Forbidden` without `drills.read`; `Invalid` for a horizon outside 14–30 days, a
    /// member count outside 1–[`MAX_MEMBERS`] or a jurisdiction without residents.
    pub async fn run_scenario_forecast(
        &self,
        actor: &Actor,
        req: ScenarioRequest,
    ) -> Result<ScenarioForecast> {
        actor.require(Permission::DrillsRead)?;
        if !(14..=30).contains(&req.horizon_days) {
            return Err(Error::invalid("horizon_days", "must be 14 to 30 days"));
        }
        if !(1..=MAX_MEMBERS).contains(&req.members) {
            return Err(Error::invalid(
                "members",
                format!("must be 1 to {MAX_MEMBERS}"),
            ));
        }
        let code = self.dashboard_root(actor).await?;
        let today = self.today();
        let seed = req
            .seed
            .unwrap_or_else(|| mix(&[self.now_ms() as u64, code.len() as u64]));
        let built = self.scenario_inputs(actor, today, seed).await?;
        let items = self.store().supplies().items().await?;
        let horizon = req.horizon_days;
        let members = req.members;
        let result = tokio::task::spawn_blocking(move || {
            ensemble(&built, horizon, members, seed, today, &items)
        })
        .await
        .map_err(|e| Error::invalid("simulation", e.to_string()))??;
        let stored = serde_json::to_string(&result)
            .map_err(|e| Error::invalid("simulation", e.to_string()))?;
        let created_at = self.now_ms();
        let id = self
            .store()
            .forecasts()
            .save_run(&NewScenarioRun {
                jurisdiction_code: &code,
                as_of: &today.to_string(),
                horizon_days: i64::from(horizon),
                members: i64::from(members),
                seed: seed as i64,
                created_at,
                created_by: &actor.label(),
                result: &stored,
            })
            .await?;
        self.audit(
            actor,
            "scenario_forecast.run",
            "scenario_forecast",
            Some(id.to_string()),
            None,
            json!({ "jurisdiction": code, "horizon_days": horizon, "members": members, "seed": seed }),
        )
        .await?;
        Ok(ScenarioForecast {
            id,
            jurisdiction_code: code,
            as_of: today.to_string(),
            horizon_days: horizon,
            members,
            seed,
            created_at_ms: created_at,
            created_by: actor.label(),
            start: result.start,
            days: result.days,
            counties: result.counties,
            supplies: result.supplies,
            cases_total: result.cases_total,
            admissions_total: result.admissions_total,
            quarantine_peak: result.quarantine_peak,
        })
    }

    /// A stored run inside the caller's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `drills.read`; `NotFound`.
    pub async fn scenario_forecast(&self, actor: &Actor, id: i64) -> Result<ScenarioForecast> {
        actor.require(Permission::DrillsRead)?;
        let row = self.store().forecasts().run(&actor.scope, id).await?;
        from_row(row)
    }

    /// The stored runs inside the caller's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `drills.read`.
    pub async fn scenario_forecasts(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<ScenarioForecast>> {
        actor.require(Permission::DrillsRead)?;
        self.store()
            .forecasts()
            .runs(&actor.scope, limit)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// The latest run for exactly `jurisdiction_code` younger than [`FRESH_MS`]: what the
    /// capacity and supplies forecasts of that jurisdiction use. Counts only; no permission
    /// beyond the caller's own forecast's.
    pub(crate) async fn fresh_scenario(
        &self,
        jurisdiction_code: &str,
    ) -> Result<Option<ScenarioForecast>> {
        self.store()
            .forecasts()
            .latest_for(jurisdiction_code, self.now_ms() - FRESH_MS)
            .await?
            .map(from_row)
            .transpose()
    }

    /// The fresh run that covers the actor's jurisdiction, with that jurisdiction's code:
    /// one made for it, or one made for the city above a county (whose county outlooks hold
    /// the county's part; see [`ScenarioForecast::medians_for`]).
    pub(crate) async fn fresh_scenario_for_scope(
        &self,
        actor: &Actor,
    ) -> Result<Option<(String, ScenarioForecast)>> {
        // A county user's forecast may come from a run of the county itself or of the city
        // above it (whose county outlooks hold the county's part).
        let Some(code) = self.scenario_area(actor).await else {
            return Ok(None);
        };
        let mut candidates = vec![code.clone()];
        if code.len() > 4 {
            candidates.push(code[..4].to_string());
        }
        for c in candidates {
            if let Some(run) = self.fresh_scenario(&c).await? {
                return Ok(Some((code, run)));
            }
        }
        Ok(None)
    }

    /// A median series of the fresh run covering the actor's jurisdiction, with the run's
    /// id.
    pub(crate) async fn scenario_series(
        &self,
        actor: &Actor,
        pick: impl Fn(&Medians) -> Vec<f64>,
    ) -> Result<Option<(i64, Vec<f64>)>> {
        let Some((code, run)) = self.fresh_scenario_for_scope(actor).await? else {
            return Ok(None);
        };
        Ok(run.medians_for(&code).map(|m| (run.id, pick(&m))))
    }

    /// The jurisdiction a forecast of the actor is about: the scope's root, or for a user
    /// of the whole instance the one the dashboard shows.
    async fn scenario_area(&self, actor: &Actor) -> Option<String> {
        match actor.scope.root.as_ref() {
            Some(root) => Some(root.as_str().to_string()),
            None => self.dashboard_root(actor).await.ok(),
        }
    }

    async fn scenario_inputs(&self, actor: &Actor, today: NaiveDate, seed: u64) -> Result<Built> {
        let store = self.store().forecasts();
        let residents = store.residents(&actor.scope).await?;
        if residents.is_empty() {
            return Err(Error::invalid(
                "jurisdiction",
                "no residents in the registry to simulate",
            ));
        }
        let open = store.open_cases(&actor.scope).await?;
        let measured = store
            .under_measure(&actor.scope, &today.to_string())
            .await?;
        let since = crate::clock::china_midnight_ms(today - Duration::days(RECENT_DAYS - 1));
        let recent = store.recent_cases(&actor.scope, since).await?;
        build_inputs(&residents, &open, &measured, &recent, today, seed)
    }
}

impl ScenarioForecast {
    /// The medians of the jurisdiction's or a county's series: `(quarantine entries,
    /// in quarantine, cases, admissions, in hospital)` by day, for the county when it is one
    /// of the run's counties, else the whole run when `code` is the run's jurisdiction or
    /// contains it.
    pub fn medians_for(&self, code: &str) -> Option<Medians> {
        if let Some(c) = self.counties.iter().find(|c| c.county_code == code) {
            return Some(Medians {
                quarantine_entries: c.quarantine_entries.clone(),
                in_quarantine: c.in_quarantine.clone(),
                cases: c.cases.clone(),
                admissions: c.admissions.clone(),
                isolated: c.isolated.clone(),
                in_hospital: c.in_hospital.clone(),
            });
        }
        if !self.jurisdiction_code.starts_with(code) {
            return None;
        }
        let m = |f: fn(&ScenarioDay) -> Band| self.days.iter().map(|d| f(d).median).collect();
        Some(Medians {
            quarantine_entries: m(|d| d.quarantine_entries),
            in_quarantine: m(|d| d.in_quarantine),
            cases: m(|d| d.cases),
            admissions: m(|d| d.admissions),
            isolated: m(|d| d.isolated),
            in_hospital: m(|d| d.in_hospital),
        })
    }
}

/// The median series of an area, by forecast day (day 1 first).
#[derive(Debug, Clone, PartialEq)]
pub struct Medians {
    pub quarantine_entries: Vec<f64>,
    pub in_quarantine: Vec<f64>,
    pub cases: Vec<f64>,
    pub admissions: Vec<f64>,
    pub isolated: Vec<f64>,
    pub in_hospital: Vec<f64>,
}

fn from_row(row: fangkong_store::forecasts::ScenarioRunRow) -> Result<ScenarioForecast> {
    let r: Stored = serde_json::from_str(&row.result)
        .map_err(|e| Error::invalid("scenario_forecast", e.to_string()))?;
    Ok(ScenarioForecast {
        id: row.id,
        jurisdiction_code: row.jurisdiction_code,
        as_of: row.as_of,
        horizon_days: u16::try_from(row.horizon_days).unwrap_or(0),
        members: u16::try_from(row.members).unwrap_or(0),
        seed: row.seed as u64,
        created_at_ms: row.created_at,
        created_by: row.created_by,
        start: r.start,
        days: r.days,
        counties: r.counties,
        supplies: r.supplies,
        cases_total: r.cases_total,
        admissions_total: r.admissions_total,
        quarantine_peak: r.quarantine_peak,
    })
}

fn build_inputs(
    residents: &[fangkong_store::forecasts::ForecastResident],
    open: &[i64],
    measured: &[fangkong_store::forecasts::UnderMeasure],
    recent: &[fangkong_store::forecasts::RecentCase],
    today: NaiveDate,
    seed: u64,
) -> Result<Built> {
    let mut counties: Vec<String> = Vec::new();
    let mut communities: Vec<Community> = Vec::new();
    let mut community_index: HashMap<&str, u32> = HashMap::new();
    let mut households: HashMap<i64, u32> = HashMap::new();
    let mut schools: HashMap<i64, u32> = HashMap::new();
    let mut workplaces: HashMap<i64, u32> = HashMap::new();
    let mut index: HashMap<i64, u32> = HashMap::with_capacity(residents.len());
    let mut people = Vec::with_capacity(residents.len());
    let mut vaccinated = 0u64;
    let dense = |map: &mut HashMap<i64, u32>, id: i64| {
        let next = map.len() as u32;
        *map.entry(id).or_insert(next)
    };
    for (i, r) in residents.iter().enumerate() {
        let community = match community_index.get(r.community_code.as_str()) {
            Some(&c) => c,
            None => {
                let county = r.community_code.get(..6).unwrap_or(&r.community_code);
                let k = match counties.iter().position(|c| c == county) {
                    Some(k) => k,
                    None => {
                        counties.push(county.to_string());
                        counties.len() - 1
                    }
                };
                let c = communities.len() as u32;
                communities.push(Community {
                    code: r.community_code.clone(),
                    county: u16::try_from(k)
                        .map_err(|_| Error::invalid("jurisdiction", "too many counties"))?,
                });
                community_index.insert(r.community_code.as_str(), c);
                c
            }
        };
        let age = NaiveDate::parse_from_str(&r.birth_date, "%Y-%m-%d")
            .map(|b| age_on(b, today))
            .unwrap_or(40);
        // A person without a household lives alone: a key no household id takes.
        let household = dense(&mut households, r.household_id.unwrap_or(-r.id));
        let school = r.school_id.map(|s| dense(&mut schools, s));
        let workplace = r.workplace_id.map(|w| dense(&mut workplaces, w));
        if r.doses > 0 {
            vaccinated += 1;
        }
        people.push(Resident {
            age: age.min(120) as u8,
            household,
            school,
            workplace,
            community,
            doses: u8::try_from(r.doses.clamp(0, 3)).unwrap_or(3),
        });
        index.insert(r.id, i as u32);
    }
    let population = Population::new(counties, communities, &people)
        .map_err(|e| Error::invalid("population", e.to_string()))?;

    let isolated: Vec<u32> = open.iter().filter_map(|p| index.get(p).copied()).collect();
    let isolated_set: HashSet<u32> = isolated.iter().copied().collect();
    let mut quarantined = Vec::new();
    for m in measured {
        let Some(&p) = index.get(&m.person_id) else {
            continue;
        };
        if isolated_set.contains(&p) {
            continue;
        }
        let Ok(ends) = NaiveDate::parse_from_str(&m.ends_on, "%Y-%m-%d") else {
            continue;
        };
        let left = ((ends - today).num_days() + 1).clamp(1, i64::from(u16::MAX));
        quarantined.push(Quarantined {
            person: p,
            days_left: left as u16,
        });
    }
    let held: HashSet<u32> = isolated_set
        .iter()
        .copied()
        .chain(quarantined.iter().map(|q| q.person))
        .collect();
    // Hidden infections: the recent cases' household members first, then the residents of
    // their communities, each group in an order drawn from the seed.
    let recent_people: Vec<u32> = recent
        .iter()
        .filter_map(|c| index.get(&c.person_id).copied())
        .collect();
    let wanted = (recent_people.len() as f64 * HIDDEN_PER_RECENT_CASE).round() as usize;
    let case_households: HashSet<u32> = recent_people
        .iter()
        .map(|&p| people[p as usize].household)
        .collect();
    let case_communities: HashSet<u32> = recent_people
        .iter()
        .map(|&p| people[p as usize].community)
        .collect();
    let rank = |p: u32| mix(&[seed, u64::from(p)]);
    let found: HashSet<u32> = recent_people.iter().copied().collect();
    let free = |p: &u32| !held.contains(p) && !found.contains(p);
    let mut first: Vec<u32> = (0..people.len() as u32)
        .filter(|&p| case_households.contains(&people[p as usize].household))
        .filter(free)
        .collect();
    first.sort_by_key(|&p| rank(p));
    let mut second: Vec<u32> = (0..people.len() as u32)
        .filter(|&p| {
            case_communities.contains(&people[p as usize].community)
                && !case_households.contains(&people[p as usize].household)
        })
        .filter(free)
        .collect();
    second.sort_by_key(|&p| rank(p));
    let infections: Vec<u32> = first.into_iter().chain(second).take(wanted).collect();
    let start = ScenarioStart {
        residents: people.len() as u64,
        vaccinated,
        isolated: isolated.len() as u64,
        quarantined: quarantined.len() as u64,
        recent_cases: recent_people.len() as u64,
        hidden_infections: infections.len() as u64,
    };
    Ok(Built {
        population,
        initial: InitialState {
            infections,
            isolated,
            quarantined,
        },
        start,
    })
}

/// Runs the members one after the other (each uses every core) and summarises them.
fn ensemble(
    built: &Built,
    horizon: u16,
    members: u16,
    seed: u64,
    today: NaiveDate,
    items: &[fangkong_store::supplies::ItemRow],
) -> Result<Stored> {
    let counties = built.population.county_codes().to_vec();
    let h = usize::from(horizon);
    // runs[m][0] city-wide, runs[m][1 + k] county k.
    let mut runs: Vec<Vec<Series>> = Vec::with_capacity(usize::from(members));
    for m in 0..members {
        let mut sim = Simulation::new(
            &built.population,
            Scenario::default(),
            &built.initial,
            mix(&[seed, u64::from(m)]),
        )
        .map_err(|e| Error::invalid("simulation", e.to_string()))?;
        // Day 0 is today, where the state was read (the initial state is counted on it);
        // the forecast days follow.
        let out = sim.run(horizon + 1);
        let mut series = vec![Series::default(); counties.len() + 1];
        for day in out.days.iter().skip(1) {
            let total = day.total();
            for (k, c) in std::iter::once(&total).chain(&day.counties).enumerate() {
                let s = &mut series[k];
                s.cases.push(f64::from(c.detections()));
                s.admissions.push(f64::from(c.admissions));
                s.quarantine_entries.push(f64::from(c.quarantines));
                s.in_quarantine.push(f64::from(c.quarantined));
                s.isolated.push(f64::from(c.isolated));
            }
        }
        for s in &mut series {
            s.in_hospital = (0..h)
                .map(|d| {
                    s.admissions[d.saturating_sub(HOSPITAL_STAY_DAYS - 1)..=d]
                        .iter()
                        .sum()
                })
                .collect();
        }
        runs.push(series);
    }
    let band_at = |area: usize, field: usize, d: usize| {
        Band::of(
            &runs
                .iter()
                .map(|r| r[area].fields()[field][d])
                .collect::<Vec<f64>>(),
        )
    };
    let days: Vec<ScenarioDay> = (0..h)
        .map(|d| ScenarioDay {
            date: (today + Duration::days(d as i64 + 1)).to_string(),
            cases: band_at(0, 0, d),
            admissions: band_at(0, 1, d),
            quarantine_entries: band_at(0, 2, d),
            in_quarantine: band_at(0, 3, d),
            isolated: band_at(0, 4, d),
            in_hospital: band_at(0, 5, d),
        })
        .collect();
    let total_of = |area: usize, field: usize| {
        Band::of(
            &runs
                .iter()
                .map(|r| r[area].fields()[field].iter().sum())
                .collect::<Vec<f64>>(),
        )
    };
    let mut by_code: BTreeMap<String, CountyOutlook> = BTreeMap::new();
    for (k, code) in counties.iter().enumerate() {
        let med = |field: usize| (0..h).map(|d| band_at(k + 1, field, d).median).collect();
        by_code.insert(
            code.clone(),
            CountyOutlook {
                county_code: code.clone(),
                cases: med(0),
                admissions: med(1),
                quarantine_entries: med(2),
                in_quarantine: med(3),
                isolated: med(4),
                in_hospital: med(5),
                cases_total: total_of(k + 1, 0),
            },
        );
    }
    let supplies = items
        .iter()
        .map(|item| {
            let rates = crate::supplies::rates_of(item);
            let per_member: Vec<Vec<f64>> = runs
                .iter()
                .map(|r| {
                    let s = &r[0];
                    let plan: Vec<Activity> = (0..h)
                        .map(|d| Activity {
                            quarantine_person_days: s.in_quarantine[d],
                            bed_days_isolation: s.isolated[d],
                            bed_days_icu: s.in_hospital[d],
                            ..Activity::default()
                        })
                        .collect();
                    demand::forecast(&rates, &plan)
                })
                .collect();
            let daily = (0..h)
                .map(|d| Band::of(&per_member.iter().map(|m| m[d]).collect::<Vec<_>>()))
                .collect();
            let total = Band::of(
                &per_member
                    .iter()
                    .map(|m| m.iter().sum())
                    .collect::<Vec<f64>>(),
            );
            SupplyOutlook {
                item_code: item.code.clone(),
                item_name: item.name.clone(),
                unit: item.unit.clone(),
                daily,
                total,
            }
        })
        .collect();
    let peak = Band::of(
        &runs
            .iter()
            .map(|r| r[0].in_quarantine.iter().copied().fold(0.0, f64::max))
            .collect::<Vec<f64>>(),
    );
    Ok(Stored {
        start: built.start,
        days,
        counties: by_code.into_values().collect(),
        supplies,
        cases_total: total_of(0, 0),
        admissions_total: total_of(0, 1),
        quarantine_peak: peak,
    })
}

#[cfg(test)]
mod tests {
    use super::Band;

    #[test]
    fn bands_are_nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        // Nearest rank: ceil(0.05 * 20) = 1st, ceil(0.5 * 20) = 10th, ceil(0.95 * 20) = 19th.
        assert_eq!(
            Band::of(&v),
            Band {
                p5: 1.0,
                median: 10.0,
                p95: 19.0
            }
        );
        assert_eq!(
            Band::of(&[7.0]),
            Band {
                p5: 7.0,
                median: 7.0,
                p95: 7.0
            }
        );
    }
}
