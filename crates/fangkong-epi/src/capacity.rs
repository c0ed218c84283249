//! Capacity forecasts of a pool of units (quarantine rooms, or hospital beds of one type)
//! over the next days, and the straight-line trend of arrivals that feeds them.
//!
//! Why it exists: the headquarters must know days ahead when rooms or beds run out (issue
//! #7). The model is deliberately simple and stated here so a planner can check it by hand.
//!
//! # Semantics
//!
//! Days are numbered `1..=horizon` from tomorrow; day 0 is today.
//! - `occupied` units are in use today. `releases[k]` of them leave on day `k + 1` (planned
//!   departures: the end of a quarantine, the expected discharge).
//! - `inflow[k]` units are taken on day `k + 1` (expected arrivals, fractional). A unit taken
//!   on day `d` is occupied on days `d..=d + length_of_stay - 1` and leaves on day
//!   `d + length_of_stay`.
//! - A unit left on day `d` is being cleaned on days `d..=d + turnaround_days - 1` and free
//!   from day `d + turnaround_days` (`turnaround_days = 0`: free the day it is left).
//! - Per day: `occupied(d) = occupied(d - 1) + arrivals(d) - departures(d)`,
//!   `free(d) = capacity - occupied(d) - cleaning(d)`, which goes below zero on a shortfall
//!   (arrivals are not refused: the forecast shows the need, not what fits).
//!
//! What it must not do: read a clock or a store; the caller gives today's facts.

use crate::EpiError;

/// What a pool forecast starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolInput {
    /// Units in service.
    pub capacity: u32,
    /// Units in use today.
    pub occupied: u32,
    /// Planned departures of today's occupants on days `1..=horizon` (`releases[k]` on day
    /// `k + 1`); the horizon is `releases.len()`.
    pub releases: Vec<u32>,
    /// Expected arrivals on days `1..=horizon`; the same length as `releases`.
    pub inflow: Vec<f64>,
    /// Days a new arrival stays (at least 1).
    pub length_of_stay: u32,
    /// Days a vacated unit is being cleaned.
    pub turnaround_days: u32,
}

/// One forecast day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayForecast {
    /// 1 is tomorrow.
    pub day: u32,
    pub arrivals: f64,
    pub departures: f64,
    pub occupied: f64,
    pub cleaning: f64,
    /// `capacity - occupied - cleaning`; negative on a shortfall.
    pub free: f64,
}

/// Forecasts the pool day by day (see the module docs).
///
/// # Errors
/// `EpiError::InvalidParameter` when `releases` and `inflow` differ in length, the planned
/// departures exceed today's occupants, the length of stay is 0, or an arrival is negative
/// or not finite.
pub fn forecast_pool(input: &PoolInput) -> Result<Vec<DayForecast>, EpiError> {
    let horizon = input.releases.len();
    let invalid = |name, value: f64, expected| {
        Err(EpiError::InvalidParameter {
            name,
            value,
            expected,
        })
    };
    if input.inflow.len() != horizon {
        return invalid(
            "inflow days",
            input.inflow.len() as f64,
            "as many days as releases",
        );
    }
    let planned: u64 = input.releases.iter().map(|r| u64::from(*r)).sum();
    if planned > u64::from(input.occupied) {
        return invalid(
            "planned departures",
            planned as f64,
            "at most the occupied units",
        );
    }
    if input.length_of_stay == 0 {
        return invalid("length of stay", 0.0, "at least 1 day");
    }
    if let Some(a) = input.inflow.iter().find(|a| !a.is_finite() || **a < 0.0) {
        return invalid("arrivals", *a, "finite and not negative");
    }
    let los = input.length_of_stay as usize;
    let turnaround = input.turnaround_days as usize;
    // Departures by day index (1-based; index 0 unused): planned ones and those of arrivals.
    let mut departures = vec![0.0f64; horizon + 1];
    for (k, r) in input.releases.iter().enumerate() {
        departures[k + 1] += f64::from(*r);
    }
    for (k, a) in input.inflow.iter().enumerate() {
        let leaves = k + 1 + los;
        if leaves <= horizon {
            departures[leaves] += a;
        }
    }
    let mut occupied = f64::from(input.occupied);
    let capacity = f64::from(input.capacity);
    let mut out = Vec::with_capacity(horizon);
    for d in 1..=horizon {
        let arrivals = input.inflow[d - 1];
        occupied += arrivals - departures[d];
        let cleaning: f64 = if turnaround == 0 {
            0.0
        } else {
            departures[d.saturating_sub(turnaround - 1).max(1)..=d]
                .iter()
                .sum()
        };
        out.push(DayForecast {
            day: u32::try_from(d).unwrap_or(u32::MAX),
            arrivals,
            departures: departures[d],
            occupied,
            cleaning,
            free: capacity - occupied - cleaning,
        });
    }
    Ok(out)
}

/// The first day with fewer than zero free units, if any. A tolerance of 1e-9 keeps
/// rounding from declaring a shortfall of nothing.
pub fn runs_out(days: &[DayForecast]) -> Option<u32> {
    days.iter().find(|d| d.free < -1e-9).map(|d| d.day)
}

/// Expected arrivals on the next `horizon` days from the daily arrivals of the recent past
/// (`history`, oldest first, the last being yesterday): the least-squares straight line
/// through the last (up to) 14 days, extended, and never below zero. With fewer than 3 days
/// of history, their mean every day (none: zero).
pub fn trend_inflow(history: &[u32], horizon: usize) -> Vec<f64> {
    let recent = &history[history.len().saturating_sub(14)..];
    let n = recent.len();
    if n < 3 {
        let mean = if n == 0 {
            0.0
        } else {
            recent.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64
        };
        return vec![mean; horizon];
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = recent.iter().map(|v| f64::from(*v)).sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in recent.iter().enumerate() {
        let dx = x as f64 - mean_x;
        sxy += dx * (f64::from(*y) - mean_y);
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    (1..=horizon)
        .map(|k| (mean_y + slope * ((nf - 1.0 + k as f64) - mean_x)).max(0.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_small_pool_by_hand() {
        // 10 rooms, 6 in use; 2 leave on day 1 and 3 on day 3; one arrival a day staying 2
        // days; cleaning 1 day.
        // day 1: occ 6+1-2 = 5, cleaning 2 (day 1's), free 10-5-2 = 3
        // day 2: occ 5+1-0 = 6, cleaning 0, free 4
        // day 3: occ 6+1-(3+1: the day-1 arrival leaves) = 3, cleaning 4, free 3
        // day 4: occ 3+1-1 = 3, cleaning 1, free 6
        let input = PoolInput {
            capacity: 10,
            occupied: 6,
            releases: vec![2, 0, 3, 0],
            inflow: vec![1.0; 4],
            length_of_stay: 2,
            turnaround_days: 1,
        };
        let days = forecast_pool(&input).unwrap();
        let got: Vec<(f64, f64, f64)> = days
            .iter()
            .map(|d| (d.occupied, d.cleaning, d.free))
            .collect();
        assert_eq!(
            got,
            vec![
                (5.0, 2.0, 3.0),
                (6.0, 0.0, 4.0),
                (3.0, 4.0, 3.0),
                (3.0, 1.0, 6.0)
            ]
        );
        assert_eq!(runs_out(&days), None);
    }

    #[test]
    fn a_shortfall_is_dated_and_longer_cleaning_spans_days() {
        // 3 beds full, nobody leaves, 1 arrival a day for 5 days: short from day 1.
        let full = PoolInput {
            capacity: 3,
            occupied: 3,
            releases: vec![0; 5],
            inflow: vec![1.0; 5],
            length_of_stay: 10,
            turnaround_days: 0,
        };
        let days = forecast_pool(&full).unwrap();
        assert_eq!(runs_out(&days), Some(1));
        assert!(close(days[4].free, -5.0));
        // 2 days of cleaning: a unit left on day 2 is cleaned on days 2 and 3.
        let slow = PoolInput {
            capacity: 4,
            occupied: 1,
            releases: vec![0, 1, 0, 0],
            inflow: vec![0.0; 4],
            length_of_stay: 1,
            turnaround_days: 2,
        };
        let cleaning: Vec<f64> = forecast_pool(&slow)
            .unwrap()
            .iter()
            .map(|d| d.cleaning)
            .collect();
        assert_eq!(cleaning, vec![0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn inconsistent_input_is_refused() {
        let bad = PoolInput {
            capacity: 3,
            occupied: 1,
            releases: vec![2],
            inflow: vec![0.0],
            length_of_stay: 1,
            turnaround_days: 0,
        };
        assert!(forecast_pool(&bad).is_err());
        let lengths = PoolInput {
            releases: vec![0, 0],
            ..bad.clone()
        };
        assert!(forecast_pool(&lengths).is_err());
        let negative = PoolInput {
            releases: vec![0],
            inflow: vec![-1.0],
            ..bad
        };
        assert!(forecast_pool(&negative).is_err());
    }

    #[test]
    fn the_trend_is_the_least_squares_line() {
        // 0,1,2,...,13: slope 1, next days 14, 15.
        let rising: Vec<u32> = (0..14).collect();
        let t = trend_inflow(&rising, 2);
        assert!(close(t[0], 14.0) && close(t[1], 15.0), "{t:?}");
        // Only the last 14 days count; a falling line is clamped at zero.
        let mut falling: Vec<u32> = vec![100; 5];
        falling.extend((0..14).rev());
        let t = trend_inflow(&falling, 3);
        assert_eq!(t, vec![0.0, 0.0, 0.0]);
        // Two days: their mean.
        assert_eq!(trend_inflow(&[2, 4], 2), vec![3.0, 3.0]);
        assert_eq!(trend_inflow(&[], 1), vec![0.0]);
    }
}
