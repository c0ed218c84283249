//! The instantaneous reproduction number and what follows from it: the doubling time and a
//! short-term forecast.
//!
//! Why it exists: the daily briefing reports how fast an outbreak grows, with its
//! uncertainty, and what the next two weeks may bring if nothing changes.
//!
//! - [`estimate_rt`]: Cori, Ferguson, Fraser & Cauchemez 2013 (Am J Epidemiol 178(9)), as
//!   `EpiEstim::estimate_R(method = "parametric_si")` computes it: a Gamma prior on `R` over
//!   sliding windows and the Poisson renewal likelihood give a Gamma posterior per window.
//! - [`discretise_serial_interval`]: EpiEstim's `discr_si`, the gamma serial interval offset by
//!   one day and discretised as in the Web Appendix 11 of Cori et al. 2013.
//! - [`doubling_time`]: log-linear least squares over the last days, with a t confidence
//!   interval.
//! - [`forecast`]: a deterministic renewal-equation projection with the posterior of the last
//!   window.
//!
//! What it must not do: sample random numbers (every output is a function of the input), or
//! guess a serial interval: the caller names the pathogen's.

use crate::error::{at_least, positive};
use crate::stats::{pgamma, qgamma, qpois, qt};
use crate::EpiError;

/// Days ahead that [`forecast`] projects by default.
pub const FORECAST_DAYS: usize = 14;

/// The serial interval distribution: the delay between symptom onset in a case and in the
/// person it infected.
#[derive(Debug, Clone, PartialEq)]
pub enum SerialInterval {
    /// A gamma distribution of `mean` and `sd` days, offset by one day and discretised by
    /// [`discretise_serial_interval`] (EpiEstim's `"parametric_si"`). `mean` must exceed 1.
    Parametric { mean: f64, sd: f64 },
    /// Probabilities of 0, 1, 2, ... days (EpiEstim's `"non_parametric_si"`): the first must
    /// be 0 and they must sum to 1 within 0.01, as EpiEstim requires.
    Discrete(Vec<f64>),
}

impl SerialInterval {
    /// The probabilities of 0 to `len - 1` days.
    fn weights(&self, len: usize) -> Result<Vec<f64>, EpiError> {
        match self {
            SerialInterval::Parametric { mean, sd } => discretise_serial_interval(*mean, *sd, len),
            SerialInterval::Discrete(w) => {
                if w.first() != Some(&0.0) {
                    return Err(EpiError::InvalidSerialInterval(
                        "the probability of 0 days must be 0",
                    ));
                }
                if w.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
                    return Err(EpiError::InvalidSerialInterval(
                        "probabilities must be finite and not negative",
                    ));
                }
                if (w.iter().sum::<f64>() - 1.0).abs() > 0.01 {
                    return Err(EpiError::InvalidSerialInterval(
                        "probabilities must sum to 1",
                    ));
                }
                let mut out = w.clone();
                out.resize(len.max(w.len()), 0.0);
                Ok(out)
            }
        }
    }
}

/// Parameters of [`estimate_rt`] and [`forecast`].
#[derive(Debug, Clone, PartialEq)]
pub struct RtParams {
    /// Days in each sliding window; default 7 (EpiEstim's weekly windows).
    pub window: usize,
    /// Mean of the Gamma prior of `R`; default 5 (EpiEstim's `mean_prior`).
    pub prior_mean: f64,
    /// Standard deviation of the Gamma prior; default 5 (EpiEstim's `std_prior`), so the
    /// prior has shape 1 and scale 5.
    pub prior_sd: f64,
    /// The serial interval.
    pub serial_interval: SerialInterval,
}

impl RtParams {
    /// EpiEstim's defaults with a parametric serial interval of `mean` and `sd` days.
    pub fn parametric(mean: f64, sd: f64) -> Self {
        RtParams {
            window: 7,
            prior_mean: 5.0,
            prior_sd: 5.0,
            serial_interval: SerialInterval::Parametric { mean, sd },
        }
    }

    fn validate(&self) -> Result<(), EpiError> {
        at_least("window", self.window, 1, "at least 1 day")?;
        positive("prior_mean", self.prior_mean)?;
        positive("prior_sd", self.prior_sd)?;
        Ok(())
    }
}

/// The posterior of `R` over one window. Days are 0-based indices into the incidence; add 1
/// for EpiEstim's `t_start` and `t_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct RtEstimate {
    /// First day of the window.
    pub t_start: usize,
    /// Last day of the window.
    pub t_end: usize,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub std: f64,
    /// Posterior 2.5% quantile.
    pub q025: f64,
    /// Posterior median.
    pub median: f64,
    /// Posterior 97.5% quantile.
    pub q975: f64,
    /// Shape of the Gamma posterior, `a + sum(I)`.
    pub shape: f64,
    /// Scale of the Gamma posterior, `1 / (1 / b + sum(Lambda))`.
    pub scale: f64,
}

/// EpiEstim's `discr_si(0:(len - 1), mean, sd)`: the probability that the serial interval is
/// `k` days, for `k` in `0..len`.
///
/// The serial interval minus one day is gamma distributed with mean `mean - 1` and standard
/// deviation `sd`, that is shape `a = ((mean - 1) / sd)^2` and scale `b = sd^2 / (mean - 1)`;
/// with `F` the gamma CDF (0 below 0),
/// `w(k) = k F(k) + (k - 2) F(k - 2) - 2 (k - 1) F(k - 1)
///        + a b (2 F_{a+1}(k - 1) - F_{a+1}(k - 2) - F_{a+1}(k))`, at least 0
/// (Cori et al. 2013, Web Appendix 11). So `w(0) = 0`.
///
/// # Errors
///
/// [`EpiError::InvalidParameter`] unless `mean > 1` and `sd > 0`.
///
/// # Examples
///
/// ```
/// use fangkong_epi::rt::discretise_serial_interval;
/// let w = discretise_serial_interval(2.6, 1.5, 30).unwrap();
/// assert_eq!(w[0], 0.0);
/// assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-6);
/// ```
pub fn discretise_serial_interval(mean: f64, sd: f64, len: usize) -> Result<Vec<f64>, EpiError> {
    if !(mean.is_finite() && mean > 1.0) {
        return Err(EpiError::InvalidParameter {
            name: "serial interval mean",
            value: mean,
            expected: "more than 1 day",
        });
    }
    positive("serial interval sd", sd)?;
    let shape = ((mean - 1.0) / sd).powi(2);
    let scale = sd * sd / (mean - 1.0);
    let f = |x: f64| pgamma(x, shape, scale);
    let f1 = |x: f64| pgamma(x, shape + 1.0, scale);
    Ok((0..len)
        .map(|k| {
            let k = k as f64;
            let w = k * f(k) + (k - 2.0) * f(k - 2.0) - 2.0 * (k - 1.0) * f(k - 1.0)
                + shape * scale * (2.0 * f1(k - 1.0) - f1(k - 2.0) - f1(k));
            w.max(0.0)
        })
        .collect())
}

/// The total infectiousness `Lambda(t) = sum over s >= 1 of w(s) I(t - s)` of every day.
fn infectiousness(incidence: &[f64], w: &[f64]) -> Vec<f64> {
    (0..incidence.len())
        .map(|t| {
            (1..=t)
                .map(|s| w.get(s).copied().unwrap_or(0.0) * incidence[t - s])
                .sum()
        })
        .collect()
}

/// The Gamma posterior of `R` over each sliding window, as EpiEstim's `estimate_R` with its
/// default windows: `t_start` from day 1 (EpiEstim's 2) to `T - window`, `t_end = t_start +
/// window - 1`.
///
/// With prior shape `a = (prior_mean / prior_sd)^2` and scale `b = prior_sd^2 / prior_mean`,
/// the posterior over a window has shape `a + sum(I)` and scale `1 / (1 / b + sum(Lambda))`,
/// both sums over the window. Day 0 only enters through `Lambda`, as in EpiEstim, which takes
/// the cases of the first day as imported. The estimate of a window with little incidence is
/// mostly the prior: Cori et al. advise at least 11 cases in a window (a posterior coefficient
/// of variation of at most 0.3), and EpiEstim warns before that; the caller should too.
///
/// # Errors
///
/// - [`EpiError::InvalidParameter`] for a window of 0 days or a prior that is not positive,
///   and as [`discretise_serial_interval`].
/// - [`EpiError::InvalidSerialInterval`] for a discrete serial interval that is not a
///   distribution on 1, 2, ... days.
/// - [`EpiError::TooShort`] when the incidence has no more than `window` days.
///
/// # Examples
///
/// ```
/// use fangkong_epi::rt::{estimate_rt, RtParams, SerialInterval};
/// // Every serial interval is 1 day, so Lambda(t) = I(t - 1): with 10 cases a day the last
/// // window has shape 1 + 70 and scale 1 / (0.2 + 70).
/// let params = RtParams {
///     serial_interval: SerialInterval::Discrete(vec![0.0, 1.0]),
///     ..RtParams::parametric(2.0, 1.0)
/// };
/// let out = estimate_rt(&[10; 8], &params).unwrap();
/// assert!((out[0].mean - 71.0 / 70.2).abs() < 1e-12);
/// ```
pub fn estimate_rt(incidence: &[u32], params: &RtParams) -> Result<Vec<RtEstimate>, EpiError> {
    params.validate()?;
    let len = incidence.len();
    if len <= params.window {
        return Err(EpiError::TooShort {
            method: "rt",
            needed: params.window + 1,
            found: len,
        });
    }
    let w = params.serial_interval.weights(len)?;
    let cases: Vec<f64> = incidence.iter().map(|&c| f64::from(c)).collect();
    let lambda = infectiousness(&cases, &w);
    let prior_shape = (params.prior_mean / params.prior_sd).powi(2);
    let prior_scale = params.prior_sd.powi(2) / params.prior_mean;
    Ok((1..=len - params.window)
        .map(|t_start| {
            let t_end = t_start + params.window - 1;
            let shape = prior_shape + cases[t_start..=t_end].iter().sum::<f64>();
            let scale = 1.0 / (1.0 / prior_scale + lambda[t_start..=t_end].iter().sum::<f64>());
            RtEstimate {
                t_start,
                t_end,
                mean: shape * scale,
                std: shape.sqrt() * scale,
                q025: qgamma(0.025, shape, scale),
                median: qgamma(0.5, shape, scale),
                q975: qgamma(0.975, shape, scale),
                shape,
                scale,
            }
        })
        .collect())
}

/// Exponential growth over the last days, from [`doubling_time`].
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    /// Daily growth rate `r` of `log(I)` (negative when declining).
    pub rate: f64,
    /// 95% confidence interval of `r`.
    pub rate_ci: (f64, f64),
    /// `ln 2 / r` in days: the doubling time when growing, minus the halving time when
    /// declining, infinite when `r = 0`.
    pub doubling_time: f64,
    /// 95% confidence interval of `ln 2 / r`, `None` when the interval of `r` contains 0 (the
    /// doubling time is then unbounded).
    pub doubling_time_ci: Option<(f64, f64)>,
}

/// Doubling time from a least-squares line through `log(I)` over the last `window` days.
///
/// The model is `log I(t) = c + r t + e(t)` with independent normal errors; the 95%
/// confidence interval of `r` is `r ± t(0.975, window - 2) se(r)`, and that of the doubling
/// time `ln 2 / r` is its image when `r` keeps one sign over it.
///
/// # Errors
///
/// - [`EpiError::InvalidParameter`] when `window < 3`.
/// - [`EpiError::TooShort`] when `series` has fewer than `window` days.
/// - [`EpiError::ZeroCount`] when a day in the window has no case (its logarithm does not
///   exist; widen the window or aggregate).
///
/// # Examples
///
/// ```
/// use fangkong_epi::rt::doubling_time;
/// let g = doubling_time(&[3, 5, 10, 20, 40, 80, 160], 5).unwrap();
/// assert!((g.doubling_time - 1.0).abs() < 1e-12);
/// ```
pub fn doubling_time(series: &[u32], window: usize) -> Result<Growth, EpiError> {
    at_least("window", window, 3, "at least 3 days")?;
    if series.len() < window {
        return Err(EpiError::TooShort {
            method: "doubling time",
            needed: window,
            found: series.len(),
        });
    }
    let first = series.len() - window;
    let mut logs = Vec::with_capacity(window);
    for (i, &c) in series[first..].iter().enumerate() {
        if c == 0 {
            return Err(EpiError::ZeroCount { index: first + i });
        }
        logs.push(f64::from(c).ln());
    }
    let n = window as f64;
    let t_mean = (n - 1.0) / 2.0;
    let y_mean = logs.iter().sum::<f64>() / n;
    let sxx: f64 = (0..window).map(|t| (t as f64 - t_mean).powi(2)).sum();
    let sxy: f64 = logs
        .iter()
        .enumerate()
        .map(|(t, y)| (t as f64 - t_mean) * (y - y_mean))
        .sum();
    let rate = sxy / sxx;
    let rss: f64 = logs
        .iter()
        .enumerate()
        .map(|(t, y)| (y - y_mean - rate * (t as f64 - t_mean)).powi(2))
        .sum();
    let se = (rss / (n - 2.0) / sxx).sqrt();
    let quantile = qt(0.975, n - 2.0).unwrap_or(f64::NAN);
    let rate_ci = (rate - quantile * se, rate + quantile * se);
    let ln2 = std::f64::consts::LN_2;
    let doubling_time_ci =
        (rate_ci.0 > 0.0 || rate_ci.1 < 0.0).then(|| (ln2 / rate_ci.1, ln2 / rate_ci.0));
    Ok(Growth {
        rate,
        rate_ci,
        doubling_time: ln2 / rate,
        doubling_time_ci,
    })
}

/// One day of a [`forecast`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPoint {
    /// Days after the last day of the incidence, from 1.
    pub day_ahead: usize,
    /// Expected cases with `R` at its posterior mean.
    pub mean: f64,
    /// Lower end of the band: the 2.5% Poisson quantile of the projection with `R` at its
    /// posterior 2.5% quantile.
    pub lower: f64,
    /// Upper end of the band: the 97.5% Poisson quantile of the projection with `R` at its
    /// posterior 97.5% quantile.
    pub upper: f64,
}

/// Projects the incidence `horizon` days ahead (usually [`FORECAST_DAYS`]) with the renewal
/// equation `E[I(t)] = R Lambda(t)`, `R` held at the posterior of the last window of
/// [`estimate_rt`].
///
/// Method: three deterministic paths, with `R` at the posterior mean, 2.5% and 97.5%
/// quantiles; each path feeds its own expected cases back into `Lambda`. The band is the
/// 2.5% Poisson quantile of the low path and the 97.5% Poisson quantile of the high path.
/// No random numbers: the same input gives the same forecast. The band covers the
/// uncertainty of `R` and the Poisson noise of each day, but not the way that noise
/// compounds through the renewal equation, nor a change of `R`; it narrows the truth for
/// long horizons, which is why the default is two weeks.
///
/// # Errors
///
/// As [`estimate_rt`].
///
/// # Examples
///
/// ```
/// use fangkong_epi::rt::{forecast, RtParams, FORECAST_DAYS};
/// let incidence = [5, 6, 8, 9, 12, 14, 17, 20, 24, 29, 35, 41, 50, 60];
/// let out = forecast(&incidence, &RtParams::parametric(4.0, 2.0), FORECAST_DAYS).unwrap();
/// assert_eq!(out.len(), 14);
/// assert!(out.iter().all(|p| p.lower <= p.mean && p.mean <= p.upper));
/// ```
pub fn forecast(
    incidence: &[u32],
    params: &RtParams,
    horizon: usize,
) -> Result<Vec<ForecastPoint>, EpiError> {
    let estimates = estimate_rt(incidence, params)?;
    let Some(last) = estimates.last() else {
        return Err(EpiError::TooShort {
            method: "rt",
            needed: params.window + 1,
            found: incidence.len(),
        });
    };
    let total = incidence.len() + horizon;
    let w = params.serial_interval.weights(total)?;
    let observed: Vec<f64> = incidence.iter().map(|&c| f64::from(c)).collect();
    let project = |r: f64| -> Vec<f64> {
        let mut cases = observed.clone();
        for t in incidence.len()..total {
            let lambda: f64 = (1..=t)
                .map(|s| w.get(s).copied().unwrap_or(0.0) * cases[t - s])
                .sum();
            cases.push(r * lambda);
        }
        cases.split_off(incidence.len())
    };
    let central = project(last.mean);
    let low = project(last.q025);
    let high = project(last.q975);
    Ok((0..horizon)
        .map(|h| ForecastPoint {
            day_ahead: h + 1,
            mean: central[h],
            lower: qpois(0.025, low[h]) as f64,
            upper: qpois(0.975, high[h]) as f64,
        })
        .collect())
}
