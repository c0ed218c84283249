//! Capacity forecasts: how a pool of units (quarantine rooms, or hospital beds of one type)
//! fills and empties over the next days, and the first day it runs out.
//!
//! Why it exists: the command centre has to open a new quarantine site, or ask for beds
//! from another county, days before the last room is taken; opening one takes two or three
//! days. This module projects a pool from today's occupancy, the planned departures and the
//! expected arrivals, with each vacated unit out of use while it is cleaned.
//!
//! # Semantics
//!
//! Days are whole days: day 0 is today, days `1..=horizon` are forecast, and every count is
//! taken at the end of its day. The horizon is `inflow.len()`.
//! - *Arrivals* on day `d` are `inflow[d - 1]` (expected values, so fractional). A new arrival
//!   on day `d` occupies a unit on days `d, ..., d + los - 1` and leaves on day `d + los`
//!   (`los = length_of_stay >= 1`): it is counted as occupied at the end of days
//!   `d, ..., d + los - 1`.
//! - *Departures* on day `d` are the planned releases of today's occupants, `releases[d - 1]`,
//!   plus the arrivals of day `d - los`. Occupants of today without a planned release within
//!   the horizon stay throughout.
//! - `occupied(d) = occupied(d - 1) + arrivals(d) - departures(d)`, with `occupied(0) =
//!   occupied`.
//! - *Cleaning*: a unit vacated on day `j` is being cleaned on days `j, ..., j + t - 1` and
//!   usable again from day `j + t` (`t = turnaround_days`); with `t = 0` an arrival can take
//!   it on the day it is vacated. So `cleaning(d)` is the departures of days `d - t + 1 ..= d`
//!   (days before 1 are not departures of the forecast) plus today's units in cleaning that
//!   are still not usable: `cleaning[k]` units become usable on day `k + 1`, so they count on
//!   days `d <= k`.
//! - `free(d) = capacity - occupied(d) - cleaning(d)`, negative when the pool is short.
//!   With these conventions `free(d) >= 0` exactly when day `d`'s arrivals fit into units
//!   that were neither occupied nor being cleaned (or, with `t = 0`, vacated that day).
//!
//! [`runs_out`] names the first day with a shortage, and [`trend_inflow`] projects expected
//! arrivals from recent ones when no better forecast (such as [`crate::rt::forecast`] times
//! the share of cases or contacts quarantined) is at hand.
//!
//! What it must not do: round (expected arrivals stay fractional; the caller rounds for
//! display), or read the pool's state itself: the app counts occupied and cleaning units.
//!
//! ```
//! use fangkong_epi::capacity::{forecast_pool, runs_out, PoolInput};
//! let input = PoolInput {
//!     capacity: 10,
//!     occupied: 6,
//!     cleaning: vec![],
//!     releases: vec![2, 1, 0, 3],
//!     inflow: vec![3.0, 2.0, 2.0, 1.0],
//!     length_of_stay: 2,
//!     turnaround_days: 2,
//! };
//! let days = forecast_pool(&input).unwrap();
//! assert_eq!(days[1].free, -1.0); // day 2: 8 occupied, 3 being cleaned
//! assert_eq!(runs_out(&days), Some(2));
//! ```

use crate::error::{at_least, non_negative};
use crate::EpiError;

/// Days of history that [`trend_inflow`] fits a line to.
pub const TREND_DAYS: usize = 14;

/// A shortage smaller than this is rounding, not a shortage: counts are sums of fractional
/// expected arrivals.
const TOLERANCE: f64 = 1e-9;

/// Today's state of a pool and what is expected of it (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolInput {
    /// Units in the pool, in service or not.
    pub capacity: u32,
    /// Units occupied at the end of today.
    pub occupied: u32,
    /// Units being cleaned today: `cleaning[k]` become usable on day `k + 1`. Any length.
    pub cleaning: Vec<u32>,
    /// Planned departures of today's occupants: `releases[k]` on day `k + 1`. As long as
    /// `inflow`.
    pub releases: Vec<u32>,
    /// Expected arrivals: `inflow[k]` on day `k + 1`. Its length is the horizon.
    pub inflow: Vec<f64>,
    /// Days a new arrival stays (at least 1).
    pub length_of_stay: u32,
    /// Days a vacated unit is out of use for cleaning, counting the day it is vacated.
    pub turnaround_days: u32,
}

/// One forecast day, counts at its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayForecast {
    /// 1 for tomorrow, up to the horizon.
    pub day: u32,
    pub arrivals: f64,
    pub departures: f64,
    pub occupied: f64,
    pub cleaning: f64,
    /// `capacity - occupied - cleaning`; negative when the pool is short.
    pub free: f64,
}

/// The pool day by day over the horizon (`input.inflow.len()` days), by the module's
/// semantics.
///
/// # Errors
///
/// - [`EpiError::LengthMismatch`] when `releases` is not as long as `inflow`;
/// - [`EpiError::InvalidParameter`] when an inflow is negative or not finite, or
///   `length_of_stay` is 0;
/// - [`EpiError::ReleasesExceedOccupied`] when more departures are planned than units are
///   occupied;
/// - [`EpiError::OverCapacity`] when today's occupied and cleaning units exceed the
///   capacity.
pub fn forecast_pool(input: &PoolInput) -> Result<Vec<DayForecast>, EpiError> {
    let horizon = input.inflow.len();
    if input.releases.len() != horizon {
        return Err(EpiError::LengthMismatch {
            name: "releases",
            found: input.releases.len(),
            expected: horizon,
        });
    }
    for &x in &input.inflow {
        non_negative("inflow", x)?;
    }
    let los = at_least(
        "length_of_stay",
        input.length_of_stay as usize,
        1,
        "at least 1 day",
    )?;
    let released: u64 = input.releases.iter().map(|&r| u64::from(r)).sum();
    if released > u64::from(input.occupied) {
        return Err(EpiError::ReleasesExceedOccupied {
            releases: released,
            occupied: input.occupied,
        });
    }
    let cleaning_today: u64 = input.cleaning.iter().map(|&c| u64::from(c)).sum();
    let in_use = u64::from(input.occupied) + cleaning_today;
    if in_use > u64::from(input.capacity) {
        return Err(EpiError::OverCapacity {
            in_use,
            capacity: input.capacity,
        });
    }

    let t = input.turnaround_days as usize;
    let capacity = f64::from(input.capacity);
    let mut departures: Vec<f64> = Vec::with_capacity(horizon);
    let mut out = Vec::with_capacity(horizon);
    let mut occupied = f64::from(input.occupied);
    for d in 1..=horizon {
        let arrivals = input.inflow[d - 1];
        let leaving = if d > los {
            input.inflow[d - los - 1]
        } else {
            0.0
        };
        let departed = f64::from(input.releases[d - 1]) + leaving;
        departures.push(departed);
        occupied += arrivals - departed;
        // Vacated on days d - t + 1 ..= d (the forecast's days only).
        let recent = &departures[d.saturating_sub(t)..];
        let still_cleaning: u64 = input.cleaning.iter().skip(d).map(|&c| u64::from(c)).sum();
        let cleaning = recent.iter().sum::<f64>() + still_cleaning as f64;
        out.push(DayForecast {
            day: d as u32,
            arrivals,
            departures: departed,
            occupied,
            cleaning,
            free: capacity - occupied - cleaning,
        });
    }
    Ok(out)
}

/// The first forecast day whose free units are negative (a shortage beyond rounding,
/// `free < -1e-9`), if any.
pub fn runs_out(days: &[DayForecast]) -> Option<u32> {
    days.iter().find(|d| d.free < -TOLERANCE).map(|d| d.day)
}

/// Expected daily arrivals for the `horizon` days after the last day of `history` (daily
/// arrivals, oldest first): element `k` is for the `(k + 1)`-th day after it.
///
/// A least-squares line through the last [`TREND_DAYS`] days (fewer when the history is
/// shorter), projected and clamped at 0. With fewer than 3 days of history a line means
/// little: their mean is projected instead (0 without history). If today's count is still
/// incomplete, leave it out of `history` and drop the first element of the result (which is
/// then today).
///
/// ```
/// use fangkong_epi::capacity::trend_inflow;
/// // 2, 4, 6, 8: the line 2 + 2x through x = 0..3 gives 10 and 12 next.
/// assert_eq!(trend_inflow(&[2, 4, 6, 8], 2), [10.0, 12.0]);
/// ```
pub fn trend_inflow(history: &[u32], horizon: usize) -> Vec<f64> {
    let recent = &history[history.len().saturating_sub(TREND_DAYS)..];
    let m = recent.len();
    let y: Vec<f64> = recent.iter().map(|&c| f64::from(c)).collect();
    let mean_y = if m == 0 {
        0.0
    } else {
        y.iter().sum::<f64>() / m as f64
    };
    if m < 3 {
        return vec![mean_y; horizon];
    }
    // x = 0, ..., m - 1; the next day is x = m.
    let mean_x = (m - 1) as f64 / 2.0;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in y.iter().enumerate() {
        let dx = x as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    (0..horizon)
        .map(|k| (intercept + slope * (m + k) as f64).max(0.0))
        .collect()
}
