//! Capacity forecasts of isolation rooms and hospital beds over the next 14 days, shared by
//! the isolation and treatment pages.
//!
//! The arithmetic is `fangkong_epi::capacity::forecast_pool`: the pool's occupancy today, the
//! planned departures of the people in it (stays: the day after the planned release;
//! admissions: admission day plus the length of stay), and the expected arrivals — the
//! straight-line trend of the last 14 days' arrivals (`fangkong_epi::capacity::trend_inflow`),
//! each staying the pool's typical length of stay. The first day with fewer free units than
//! zero is the day the pool runs out.
//!
//! When a scenario forecast of the jurisdiction is fresh (`crate::scenario::FRESH_MS`), its
//! median arrivals replace the trend (`source` says which was used).

use chrono::{Duration, NaiveDate};
use fangkong_epi::capacity::{forecast_pool, runs_out, trend_inflow, PoolInput};

use crate::{Error, Result};

/// Days forecast.
pub const HORIZON_DAYS: i64 = 14;
/// Days of arrivals the trend is fitted on.
pub const HISTORY_DAYS: i64 = 14;
/// Length of a centralised quarantine when no stay gives one (the 14 days of the protocol's
/// close-contact quarantine before the 9th edition).
pub const DEFAULT_QUARANTINE_DAYS: u32 = 14;

/// What a pool forecast starts from.
#[derive(Debug, Clone)]
pub struct PoolFacts {
    /// `rooms`, or a bed type key.
    pub pool: String,
    pub today: NaiveDate,
    /// Units in service.
    pub capacity: i64,
    pub occupied: i64,
    /// Units being cleaned today (usable again tomorrow at the latest).
    pub cleaning: i64,
    /// The day each occupied unit frees (one entry per unit).
    pub releases: Vec<NaiveDate>,
    /// Arrivals (units newly taken) per day over the last [`HISTORY_DAYS`] days, oldest first.
    pub history: Vec<u32>,
    pub length_of_stay: u32,
    pub turnaround_days: u32,
    /// Arrivals per day from tomorrow from a scenario forecast (its id), used instead of
    /// the trend when present.
    pub scenario: Option<(i64, Vec<f64>)>,
}

/// One forecast day.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastDay {
    pub date: NaiveDate,
    pub arrivals: f64,
    pub departures: f64,
    pub occupied: f64,
    pub cleaning: f64,
    pub free: f64,
}

/// A pool's forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolForecast {
    pub pool: String,
    pub today: NaiveDate,
    pub capacity: i64,
    pub occupied: i64,
    pub cleaning: i64,
    pub length_of_stay: u32,
    /// Expected arrivals a day at the start of the horizon (the trend's first value).
    pub inflow_per_day: f64,
    pub days: Vec<ForecastDay>,
    /// The first day with fewer than zero free units.
    pub runs_out_on: Option<NaiveDate>,
    /// `scenario` when a scenario forecast gave the arrivals, `trend` otherwise.
    pub source: &'static str,
    pub scenario_id: Option<i64>,
}

fn units(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Forecasts a pool.
///
/// # Errors
/// `Invalid` when the facts are inconsistent (more departures than occupants).
pub fn pool(f: PoolFacts) -> Result<PoolForecast> {
    let horizon = usize::try_from(HORIZON_DAYS).unwrap_or(14);
    let mut releases = vec![0u32; horizon];
    for d in &f.releases {
        let k = (*d - f.today).num_days();
        // Day 1 is tomorrow; a release due today or earlier (overdue) frees tomorrow.
        let k = usize::try_from(k.max(1) - 1).unwrap_or(0);
        if k < horizon {
            releases[k] += 1;
        }
    }
    let (inflow, source, scenario_id) = match &f.scenario {
        Some((id, arrivals)) => {
            let last = arrivals.last().copied().unwrap_or(0.0);
            let inflow = (0..horizon)
                .map(|d| arrivals.get(d).copied().unwrap_or(last).max(0.0))
                .collect();
            (inflow, "scenario", Some(*id))
        }
        None => (trend_inflow(&f.history, horizon), "trend", None),
    };
    // Units being cleaned today are usable again from day 1: the usual turnaround is 24
    // hours (a longer one frees them later than this assumes).
    let input = PoolInput {
        capacity: units(f.capacity),
        occupied: units(f.occupied),
        cleaning: vec![units(f.cleaning)],
        releases,
        inflow: inflow.clone(),
        length_of_stay: f.length_of_stay.max(1),
        turnaround_days: f.turnaround_days,
    };
    let days = forecast_pool(&input).map_err(|e| Error::invalid("forecast", e.to_string()))?;
    let runs_out_on = runs_out(&days).map(|d| f.today + Duration::days(i64::from(d)));
    Ok(PoolForecast {
        pool: f.pool,
        today: f.today,
        capacity: f.capacity,
        occupied: f.occupied,
        cleaning: f.cleaning,
        length_of_stay: f.length_of_stay,
        inflow_per_day: inflow.first().copied().unwrap_or(0.0),
        days: days
            .into_iter()
            .map(|d| ForecastDay {
                date: f.today + Duration::days(i64::from(d.day)),
                arrivals: d.arrivals,
                departures: d.departures,
                occupied: d.occupied,
                cleaning: d.cleaning,
                free: d.free,
            })
            .collect(),
        runs_out_on,
        source,
        scenario_id,
    })
}
