//! EARS C1, C2 and C3 (Hutwagner et al. 2003), as `surveillance::earsC` computes them.
//!
//! - C1: the baseline is the `baseline` points before `t` (`t - 7 ..= t - 1` by default); the
//!   threshold is `mean + z * max(sd, min_sigma)` with `z = qnorm(1 - alpha)` and the sample
//!   standard deviation.
//! - C2: as C1 with a lag of two points: the baseline is `t - baseline - 2 ..= t - 3`.
//! - C3: with `C2(u) = (y(u) - mean(u)) / max(sd(u), min_sigma)` over the C2 baseline of `u`,
//!   the statistic is `C3(t) = sum over u in t-2..=t of max(0, C2(u) - 1)`. The threshold is the
//!   one in the `earsC` documentation:
//!   `U3(t) = mean(t) + sd(t) * (z - max(0, C2(t-1) - 1) - max(0, C2(t-2) - 1))`, at least 0.
//!
//! An alarm is `observed > threshold`, as in `earsC`. The expected value is the baseline mean.
//!
//! Where this differs from `earsC` (surveillance 1.20), on purpose:
//! - The code of `earsC` computes the C3 bound from the *observed* count instead of the
//!   baseline mean (`observed + sd * (z - ...)`), which makes a C3 alarm independent of the
//!   count being judged. We follow the documented formula above.
//! - Missing counts: `earsC` gives no bound as soon as one baseline value is `NA`. Here the
//!   baseline statistics use the counts that are present; with fewer than 3 of them (the
//!   smallest baseline `earsC` accepts) there is no expected value, no threshold and no alarm.
//!   For C3, a missing count at `t - 1` or `t - 2` likewise leaves `t` without a threshold.
//! - A standard deviation of 0 with `min_sigma = 0` (a flat baseline) makes `C2` infinite
//!   when the count is above the mean; then the C3 bound is 0, the limit of the formula.

use super::{as_f64, dates_from, Evaluation};
use crate::error::{at_least, non_negative, open_unit};
use crate::stats::{mean_sd, qnorm};
use crate::{EpiError, Series};

/// Which of the three EARS methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EarsVariant {
    /// C1-MILD: no lag.
    C1,
    /// C2-MEDIUM: baseline lagged by 2 points.
    C2,
    /// C3-HIGH: C2 statistics of the last 3 points.
    C3,
}

impl EarsVariant {
    /// Points between the baseline and the point judged.
    fn lag(self) -> usize {
        match self {
            EarsVariant::C1 => 0,
            EarsVariant::C2 | EarsVariant::C3 => 2,
        }
    }

    /// Points before the first point that can be judged, beyond the baseline (the default
    /// `range` of `earsC` starts at `baseline + 1`, `+ 3` and `+ 5`, one-based).
    fn extra_history(self) -> usize {
        match self {
            EarsVariant::C1 => 0,
            EarsVariant::C2 => 2,
            EarsVariant::C3 => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            EarsVariant::C1 => "ears-c1",
            EarsVariant::C2 => "ears-c2",
            EarsVariant::C3 => "ears-c3",
        }
    }
}

/// Parameters of [`ears`], named as in `surveillance::earsC`.
#[derive(Debug, Clone, PartialEq)]
pub struct EarsParams {
    /// C1, C2 or C3.
    pub variant: EarsVariant,
    /// Points in the baseline; at least 3. Default 7.
    pub baseline: usize,
    /// One-sided error rate: the threshold uses `qnorm(1 - alpha)`. Default 0.001 for C1 and
    /// C2 and 0.025 for C3, the CDC's choices that `earsC` applies when `alpha` is not given.
    pub alpha: f64,
    /// Lower bound of the standard deviation; 0 by default. The `earsC` documentation cites
    /// H. Burkom's advice of 0.5 or 1 for sparse data.
    pub min_sigma: f64,
}

impl EarsParams {
    /// The defaults of `earsC` for `variant`.
    pub fn new(variant: EarsVariant) -> Self {
        EarsParams {
            variant,
            baseline: 7,
            alpha: match variant {
                EarsVariant::C1 | EarsVariant::C2 => 0.001,
                EarsVariant::C3 => 0.025,
            },
            min_sigma: 0.0,
        }
    }
}

impl Default for EarsParams {
    /// EARS C1 with the defaults of `earsC`.
    fn default() -> Self {
        EarsParams::new(EarsVariant::C1)
    }
}

/// Runs EARS C1, C2 or C3 over `series`.
///
/// The result starts at the first point with a full history (index `baseline`,
/// `baseline + 2` or `baseline + 4` for C1, C2, C3) and runs to the end of the series.
///
/// # Errors
///
/// - [`EpiError::InvalidParameter`] when `baseline < 3`, `alpha` is not in (0, 1) or
///   `min_sigma` is negative.
/// - [`EpiError::TooShort`] when the series has no point with a full history.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use fangkong_epi::aberration::{ears, EarsParams, EarsVariant};
/// use fangkong_epi::{Frequency, Series};
/// let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// // Baseline 2, 4, 2, 4, 2, 4, 2: mean 20/7, sd sqrt(48/42); qnorm(0.999) = 3.0902.
/// let series = Series::from_counts(start, Frequency::Daily, &[2, 4, 2, 4, 2, 4, 2, 9]).unwrap();
/// let out = ears(&series, &EarsParams::new(EarsVariant::C1)).unwrap();
/// assert_eq!(out.len(), 1);
/// assert!((out[0].threshold.unwrap() - 6.16074).abs() < 1e-5);
/// assert!(out[0].alarm);
/// ```
pub fn ears(series: &Series, params: &EarsParams) -> Result<Vec<Evaluation>, EpiError> {
    at_least("baseline", params.baseline, 3, "at least 3 points")?;
    open_unit("alpha", params.alpha)?;
    non_negative("min_sigma", params.min_sigma)?;
    let variant = params.variant;
    let first = params.baseline + variant.extra_history();
    if series.len() <= first {
        return Err(EpiError::TooShort {
            method: variant.name(),
            needed: first + 1,
            found: series.len(),
        });
    }
    let z = qnorm(1.0 - params.alpha);
    let counts = series.counts();
    let lag = variant.lag();
    // C3 reads the baseline statistics of `t`, `t - 1` and `t - 2`: computed once per point.
    let stats_from = if variant == EarsVariant::C3 {
        first - 2
    } else {
        first
    };
    let stats: Vec<Option<(f64, f64)>> = (stats_from..series.len())
        .map(|t| baseline_stats(counts, t, lag, params))
        .collect();
    let stats_of = |t: usize| stats[t - stats_from];
    Ok((first..series.len())
        .zip(dates_from(series, first))
        .map(|(t, date)| {
            let observed = counts[t];
            let (expected, threshold) = match stats_of(t) {
                None => (None, None),
                Some((mean, sigma)) => {
                    let threshold = match variant {
                        EarsVariant::C1 | EarsVariant::C2 => Some(mean + z * sigma),
                        EarsVariant::C3 => c3_threshold(counts, t, mean, sigma, z, &stats_of),
                    };
                    (Some(mean), threshold)
                }
            };
            let alarm = matches!((as_f64(observed), threshold), (Some(y), Some(u)) if y > u);
            Evaluation {
                index: t,
                date,
                observed,
                expected,
                threshold,
                alarm,
            }
        })
        .collect())
}

/// Mean and `max(sd, min_sigma)` of the baseline of point `t`: the `baseline` points ending
/// `lag + 1` points before `t`. `None` when fewer than 3 of them are present.
fn baseline_stats(
    counts: &[Option<u32>],
    t: usize,
    lag: usize,
    params: &EarsParams,
) -> Option<(f64, f64)> {
    let end = t.checked_sub(lag)?;
    let begin = end.checked_sub(params.baseline)?;
    let values = counts[begin..end].iter().filter_map(|c| as_f64(*c));
    if values.clone().count() < 3 {
        return None;
    }
    let (mean, sd) = mean_sd(values)?;
    Some((mean, sd.max(params.min_sigma)))
}

/// The documented C3 bound of point `t`, from the C2 statistics of `t - 1` and `t - 2`.
fn c3_threshold(
    counts: &[Option<u32>],
    t: usize,
    mean: f64,
    sigma: f64,
    z: f64,
    stats: &dyn Fn(usize) -> Option<(f64, f64)>,
) -> Option<f64> {
    let mut lagged = 0.0;
    for u in [t - 1, t - 2] {
        let y = as_f64(counts[u])?;
        let (mean_u, sigma_u) = stats(u)?;
        lagged += (c2(y, mean_u, sigma_u) - 1.0).max(0.0);
    }
    if lagged.is_infinite() {
        // C3 already exceeds any z from the lagged points alone.
        return Some(0.0);
    }
    Some((mean + sigma * (z - lagged)).max(0.0))
}

/// The C2 statistic `(y - mean) / sigma`, with `0 / 0` read as 0.
fn c2(y: f64, mean: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        (y - mean) / sigma
    } else if y > mean {
        f64::INFINITY
    } else if y < mean {
        f64::NEG_INFINITY
    } else {
        0.0
    }
}
