//! Demand from activity: consumption per unit of activity applied to an activity plan, the
//! reserve target and the reorder quantity.
//!
//! An item's consumption model gives units per sample collected, per sampler shift (a set
//! of protective clothing lasts one shift of one sampler), per quarantine person-day, per
//! hospital bed-day by bed type and per team-day deployed. A day's demand is the sum of the
//! rates times that day's activity; sampler shifts are the day's samples over
//! [`SAMPLES_PER_SHIFT`], rounded up (a started shift uses a whole set).

/// Samples one sampler takes in a shift (a 4-hour shift at about 100 swabs an hour, the
/// working figure of the city's mass-testing plans).
pub const SAMPLES_PER_SHIFT: f64 = 400.0;

/// Units of an item consumed per unit of each activity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    pub per_sample: f64,
    pub per_sampler_shift: f64,
    pub per_quarantine_day: f64,
    pub per_bed_day_general: f64,
    pub per_bed_day_icu: f64,
    pub per_bed_day_isolation: f64,
    pub per_team_day: f64,
}

/// The activity of one day (measured or planned).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Activity {
    pub samples: f64,
    pub quarantine_person_days: f64,
    pub bed_days_general: f64,
    pub bed_days_icu: f64,
    pub bed_days_isolation: f64,
    pub team_days: f64,
}

/// Sampler shifts needed for a day's samples.
pub fn sampler_shifts(samples: f64) -> f64 {
    if samples <= 0.0 {
        0.0
    } else {
        (samples / SAMPLES_PER_SHIFT).ceil()
    }
}

/// Units of the item one day's activity consumes.
///
/// # Examples
/// ```
/// use fangkong_supplies_plan::demand::{daily_demand, Activity, Rates};
/// let swabs = Rates { per_sample: 1.0, ..Rates::default() };
/// let suits = Rates { per_sampler_shift: 1.0, per_quarantine_day: 0.5, ..Rates::default() };
/// let day = Activity { samples: 1000.0, quarantine_person_days: 40.0, ..Activity::default() };
/// assert_eq!(daily_demand(&swabs, &day), 1000.0);
/// assert_eq!(daily_demand(&suits, &day), 3.0 + 20.0);
/// ```
pub fn daily_demand(rates: &Rates, day: &Activity) -> f64 {
    rates.per_sample * day.samples
        + rates.per_sampler_shift * sampler_shifts(day.samples)
        + rates.per_quarantine_day * day.quarantine_person_days
        + rates.per_bed_day_general * day.bed_days_general
        + rates.per_bed_day_icu * day.bed_days_icu
        + rates.per_bed_day_isolation * day.bed_days_isolation
        + rates.per_team_day * day.team_days
}

/// The demand of each day of a plan.
pub fn forecast(rates: &Rates, plan: &[Activity]) -> Vec<f64> {
    plan.iter().map(|d| daily_demand(rates, d)).collect()
}

/// An item's position at a reserve against its forecast demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Demand over the first 14 and 30 days of the forecast (whole units, rounded up).
    pub demand_14: i64,
    pub demand_30: i64,
    /// The largest daily demand of the forecast (the peak).
    pub peak_daily: f64,
    /// The reserve target: `target_days` days at the peak, rounded up.
    pub target: i64,
    /// Days the stock lasts against the forecast (the first day it cannot cover), capped at
    /// the forecast's length; `None` when the stock outlasts the forecast.
    pub runs_out_after_days: Option<u32>,
    /// Units to order, in whole packs, to bring the stock up to the target; 0 when the
    /// stock meets it.
    pub reorder: i64,
}

/// The position of `on_hand` units against a daily forecast (from day 1), with a reserve
/// target of `target_days` days at the forecast peak and orders in packs of `pack_size`.
///
/// # Examples
/// ```
/// use fangkong_supplies_plan::demand::position;
/// let p = position(100, &[10.0, 20.0, 30.0], 2, 25);
/// assert_eq!((p.demand_14, p.peak_daily, p.target, p.reorder), (60, 30.0, 60, 0));
/// let p = position(10, &[10.0, 20.0, 30.0], 2, 25);
/// assert_eq!((p.runs_out_after_days, p.reorder), (Some(1), 50));
/// ```
pub fn position(on_hand: i64, daily: &[f64], target_days: u32, pack_size: i64) -> Position {
    let sum = |n: usize| -> i64 { ceil_units(daily.iter().take(n).sum()) };
    let peak_daily = daily.iter().copied().fold(0.0_f64, f64::max);
    let target = ceil_units(peak_daily * f64::from(target_days));
    let mut left = on_hand as f64;
    let mut runs_out_after_days = None;
    for (k, d) in daily.iter().enumerate() {
        left -= d;
        if left < -1e-9 {
            runs_out_after_days = Some(u32::try_from(k).unwrap_or(u32::MAX));
            break;
        }
    }
    let missing = (target - on_hand).max(0);
    let pack = pack_size.max(1);
    Position {
        demand_14: sum(14),
        demand_30: sum(30),
        peak_daily,
        target,
        runs_out_after_days,
        reorder: (missing + pack - 1) / pack * pack,
    }
}

/// Whole units covering a fractional demand (a tiny float excess is not a unit).
pub fn ceil_units(x: f64) -> i64 {
    let r = x.round();
    let x = if (x - r).abs() < 1e-9 { r } else { x };
    #[allow(clippy::cast_possible_truncation)]
    let units = x.ceil() as i64;
    units
}
