//! Burn rate and days of supply.
//!
//! US CDC, "Personal Protective Equipment (PPE) Burn Rate Calculator" (Excel workbook,
//! version 1, 2020; cdc.gov/coronavirus/2019-ncov/hcp/ppe-strategy/burn-calculator.html):
//! the stock of an item is counted each day (full boxes × units per box); the consumption
//! of a day is the previous day's count minus that day's count; the average consumption
//! rate (the burn rate) is the total consumed over the number of days between the first
//! and the last count (at least two consecutive days of counts); the days of supply
//! remaining are the stock on hand divided by the burn rate.

/// The units counted on one day: full boxes times units per box, as the CDC workbook counts.
pub fn units(boxes: u64, units_per_box: u64) -> u64 {
    boxes * units_per_box
}

/// The average consumption per day from daily counts of the stock on hand (oldest first,
/// consecutive days, no receipts in between): `(first - last) / (days - 1)`.
///
/// `None` with fewer than two counts (the CDC workbook needs at least two consecutive days).
/// A count that rose (a receipt) makes the rate smaller; receipts are the ledger's business,
/// see [`ledger_burn_rate`].
///
/// # Examples
/// ```
/// use fangkong_supplies_plan::burn::average_daily_consumption;
/// assert_eq!(average_daily_consumption(&[1000, 900, 850]), Some(75.0));
/// assert_eq!(average_daily_consumption(&[1000]), None);
/// ```
pub fn average_daily_consumption(counts: &[u64]) -> Option<f64> {
    if counts.len() < 2 {
        return None;
    }
    let first = counts[0] as f64;
    let last = counts[counts.len() - 1] as f64;
    Some((first - last) / (counts.len() - 1) as f64)
}

/// The burn rate from the ledger: the units issued for use over `days` days, per day.
/// Transfers and write-offs are not consumption and are not counted by the caller.
///
/// Zero over zero days.
pub fn ledger_burn_rate(issued: u64, days: u32) -> f64 {
    if days == 0 {
        0.0
    } else {
        issued as f64 / f64::from(days)
    }
}

/// Days of supply: the stock on hand over the burn rate. `None` when nothing is consumed
/// (the stock lasts indefinitely).
///
/// # Examples
/// ```
/// use fangkong_supplies_plan::burn::days_of_supply;
/// assert_eq!(days_of_supply(300, 75.0), Some(4.0));
/// assert_eq!(days_of_supply(300, 0.0), None);
/// ```
pub fn days_of_supply(on_hand: u64, per_day: f64) -> Option<f64> {
    if per_day > 0.0 {
        Some(on_hand as f64 / per_day)
    } else {
        None
    }
}
