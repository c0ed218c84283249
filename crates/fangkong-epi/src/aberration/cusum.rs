//! The Poisson CUSUM of `surveillance::algo.cusum` with `trans = "standard"`.
//!
//! Variant: the counts after the baseline are standardised as `z(t) = (y(t) - m) / sqrt(m)`,
//! the normal approximation to a Poisson count with mean `m` (Rossi, Lampugnani & Marchi
//! 1999 use this transform as their `z1`; `algo.cusum` calls it "standard" and makes it its
//! default). The one-sided CUSUM `S(t) = max(0, S(t-1) + z(t) - k)` starts from `S = 0` at the
//! first monitored point and raises an alarm while `S(t) >= h`; it is not reset after an
//! alarm, as in `algo.cusum`. The defaults `k = 1.04`, `h = 2.26` are those of `algo.cusum`.
//! We chose this variant because it is the package default, so an alarm can be checked
//! against `algo.cusum(disProg, control = list(range = ...))` without further options.
//!
//! The threshold is the smallest count that raises an alarm, back-transformed as
//! `algo.cusum` does: `ceiling(sqrt(m) * (h + k - S(t-1)) + m)`, at least 0. Because the
//! alarm condition is `S(t) >= h`, the alarm is `observed >= threshold`, not `>`.
//!
//! `m`, when not given, is the mean of the `baseline` points before the first monitored
//! point (`algo.cusum` with `m = NULL` uses `mean(observed[1:(range[1] - 1)])`). Missing
//! counts are left out of that mean. A missing count in the monitored range leaves `S`
//! unchanged and raises no alarm; its threshold is still given.

use super::{as_f64, dates_from, Evaluation};
use crate::error::{non_negative, positive};
use crate::{EpiError, Series};

/// Parameters of [`cusum`], named as in `surveillance::algo.cusum`.
#[derive(Debug, Clone, PartialEq)]
pub struct CusumParams {
    /// Reference value; default 1.04.
    pub k: f64,
    /// Decision interval; default 2.26.
    pub h: f64,
    /// The expected count `m`; `None` (default) means the mean of the baseline.
    pub m: Option<f64>,
    /// Points at the start of the series that are not monitored and give `m`. Default 7, as
    /// EARS; `algo.cusum` has no default (its `range` must be given).
    pub baseline: usize,
}

impl Default for CusumParams {
    fn default() -> Self {
        CusumParams {
            k: 1.04,
            h: 2.26,
            m: None,
            baseline: 7,
        }
    }
}

/// Runs the Poisson CUSUM over the points of `series` after the baseline.
///
/// # Errors
///
/// - [`EpiError::InvalidParameter`] when `k` or `h` is negative or not finite, or `m` is not
///   positive.
/// - [`EpiError::TooShort`] when nothing follows the baseline, or the baseline has no count
///   and `m` is `None`.
/// - [`EpiError::ZeroReferenceMean`] when the baseline mean is 0.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use fangkong_epi::aberration::{cusum, CusumParams};
/// use fangkong_epi::{Frequency, Series};
/// let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let params = CusumParams { baseline: 4, ..CusumParams::default() };
/// // m = 4; z = (10 - 4) / 2 = 3; S = 3 - 1.04 = 1.96 < 2.26, then 1.96 + 3 - 1.04 >= 2.26.
/// let series = Series::from_counts(start, Frequency::Daily, &[4, 4, 4, 4, 10, 10]).unwrap();
/// let out = cusum(&series, &params).unwrap();
/// assert_eq!([out[0].alarm, out[1].alarm], [false, true]);
/// ```
pub fn cusum(series: &Series, params: &CusumParams) -> Result<Vec<Evaluation>, EpiError> {
    let k = non_negative("k", params.k)?;
    let h = non_negative("h", params.h)?;
    let counts = series.counts();
    let base = params.baseline;
    if series.len() <= base {
        return Err(EpiError::TooShort {
            method: "cusum",
            needed: base + 1,
            found: series.len(),
        });
    }
    let m = match params.m {
        Some(m) => positive("m", m)?,
        None => {
            let present: Vec<f64> = counts[..base].iter().filter_map(|c| as_f64(*c)).collect();
            if present.is_empty() {
                return Err(EpiError::TooShort {
                    method: "cusum",
                    needed: base + 1,
                    found: series.len(),
                });
            }
            let mean = present.iter().sum::<f64>() / present.len() as f64;
            if mean <= 0.0 {
                return Err(EpiError::ZeroReferenceMean { baseline: base });
            }
            mean
        }
    };
    let root = m.sqrt();
    let mut s = 0.0_f64;
    Ok((base..series.len())
        .zip(dates_from(series, base))
        .map(|(t, date)| {
            let observed = counts[t];
            let threshold = (root * (h + k - s) + m).ceil().max(0.0);
            let mut alarm = false;
            if let Some(y) = as_f64(observed) {
                s = (s + (y - m) / root - k).max(0.0);
                alarm = s >= h;
            }
            Evaluation {
                index: t,
                date,
                observed,
                expected: Some(m),
                threshold: Some(threshold),
                alarm,
            }
        })
        .collect())
}
