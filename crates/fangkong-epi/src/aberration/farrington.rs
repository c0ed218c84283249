//! The improved Farrington method (Farrington et al. 1996; Noufaily et al. 2013), as
//! `surveillance::farringtonFlexible` computes it.
//!
//! For each time point `t` judged:
//!
//! 1. Reference points: the point nearest to the same date 1, 2, ..., `b` years earlier
//!    (`farringtonFlexible` for a series with dates: the same calendar date, for weekly data
//!    snapped to the nearest week; for daily data the very date, 29 February becoming
//!    1 March). Around each, a window of `2w + 1` points forms the seasonal level
//!    `no_periods`. With `no_periods > 1` the points between two windows are cut into
//!    `no_periods - 1` blocks of nearly equal length (the first ones one point longer), levels
//!    1 to `no_periods - 1`: the 10-level seasonal factor of Noufaily et al. The last
//!    `past_weeks_not_included + 1` points (`t` itself included) are left out, so that an
//!    outbreak under way does not teach the model; missing counts are left out too.
//! 2. A quasi-Poisson GLM with log link, `log mu = intercept + trend * time (+ level)`, is
//!    fitted by IRLS exactly as R's `glm.fit` does. Its dispersion is
//!    `phi = max(1, Pearson X^2 / (n - p))`.
//! 3. With `reweight`, past outbreaks are down-weighted: standardised Anscombe residuals
//!    `s = 3/2 (y^(2/3) mu^(-1/6) - mu^(1/2)) / sqrt(phi (1 - h))` above `weights_threshold`
//!    (2.58) get weight `s^-2`, the others 1, all scaled to sum to `n`; the model is refitted
//!    once with these weights and `phi` recomputed.
//! 4. The trend is kept only when it is significant (two-sided t-test of the quasi-Poisson fit,
//!    `p < p_threshold_trend`), `b >= 3`, and the prediction with trend does not exceed the
//!    largest count used in the fit. Otherwise steps 2 and 3 are repeated without it.
//! 5. The prediction `mu0 = exp(eta0)` at `t`, with `se(eta0)` from the model, gives the
//!    threshold: with [`ThresholdMethod::Delta`] the upper `1 - alpha` limit of a normal
//!    approximation on the `2/3`-power scale (Farrington et al. 1996), with variance
//!    `4/9 mu0^(1/3) (phi + se(mu0)^2 / mu0)`; with [`ThresholdMethod::NbPlugin`] the
//!    `1 - alpha` quantile of a negative binomial with mean `mu0` and variance `phi mu0`
//!    (Poisson when `phi = 1`; Noufaily et al. 2013); [`ThresholdMethod::Muan`] uses the upper
//!    `1 - alpha` limit of `mu0` in the same quantile.
//! 6. No threshold and no alarm unless the last `limit_periods` (4) counts, `t` included, sum
//!    to at least `limit_cases` (5) (the "limit54" rule); a missing count among them counts
//!    as not enough. An alarm needs `observed > 0` and the exceedance score
//!    `(observed - mu0) / (threshold - mu0)` above 1, that is `observed > threshold`.
//!
//! Daily series: the algorithm is the same with 365 periods a year. A window of `2w + 1`
//! days around the same calendar date is narrow, and with `no_periods > 1` a year holds 360
//! days between windows, so the fit has about `365 b` rows; consider aggregating to weeks.
//!
//! Known differences from `farringtonFlexible` (surveillance 1.20):
//! - The expected value is given whenever the model could be fitted; R blanks it together with
//!   the threshold under the limit54 rule.
//! - The first point judged is the first whose `b` reference windows lie inside the series.
//!   R's default `range` starts at index `52 b + w` (0-based) and, for a series with dates,
//!   may then use a window cut at the start of the series; it can start a point or two
//!   earlier than here.
//! - A rank-deficient design (a seasonal level with no data at all is simply absent, but e.g.
//!   a single data row per level) counts as "did not converge", as does a fit that does not
//!   meet R's convergence rule; R would drop columns. Then, as in R, the point gets no
//!   expected value, threshold or alarm.
//! - `no_periods` too large for the gap between two windows is an error here; R misassigns
//!   blocks of length 0.
//! - Not a difference but a quirk we keep: after reweighting, the standard errors of the trend
//!   test and of the prediction use `sum(omega ((y - mu) / mu)^2) / (n - p)` as dispersion
//!   instead of the Pearson estimate, because `farringtonFlexible` overwrites the working
//!   weights of the fitted model with the prior weights `omega`. `phi` itself is the Pearson
//!   estimate. The thresholds therefore match the package, not the paper.
//! - When the earliest point of the reference windows is missing, `farringtonFlexible`
//!   measures the time of the fit from that missing point but the time of the prediction
//!   from the first point present, so it predicts for one period too early. We predict for
//!   the point judged.
//! - R's trend p-value is computed from `summary.glm`; with no residual degrees of freedom it is
//!   NaN and R stops with an error; here the trend is then dropped.

use super::glm::{dot, fit_quasi_poisson, quadratic_form, GlmFit};
use super::{as_f64, date_of, Evaluation};
use crate::error::{at_least, closed_unit, open_unit, positive};
use crate::stats::{qnbinom, qnorm, qpois, t_upper_tail};
use crate::{EpiError, Series};

/// How the threshold is derived from the prediction (`thresholdMethod` of
/// `farringtonFlexible`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdMethod {
    /// Normal approximation on a power scale with the delta method (`"delta"`, the package
    /// default; Farrington et al. 1996).
    Delta,
    /// Negative binomial quantile at the predicted mean (`"nbPlugin"`, Noufaily et al. 2013's
    /// recommendation).
    NbPlugin,
    /// Negative binomial quantile at the upper `1 - alpha` limit of the predicted mean
    /// (`"muan"`).
    Muan,
}

/// The power transform of [`ThresholdMethod::Delta`] (`powertrans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerTransform {
    /// No transform (`"none"`).
    Identity,
    /// Square root (`"1/2"`).
    SquareRoot,
    /// The 2/3 power, which makes Poisson counts nearly symmetric (`"2/3"`, the default).
    TwoThirds,
}

/// Parameters of [`farrington`], named as the `control` list of `farringtonFlexible`.
///
/// [`Default`] gives the package defaults; [`FarringtonParams::noufaily`] the settings that
/// Noufaily et al. 2013 recommend.
#[derive(Debug, Clone, PartialEq)]
pub struct FarringtonParams {
    /// Years of history used (`b`); default 5.
    pub b: u32,
    /// Half-width of the window around each reference point (`w`); default 3.
    pub w: usize,
    /// Down-weight past outbreaks (`reweight`); default true.
    pub reweight: bool,
    /// Anscombe residuals above this are down-weighted (`weightsThreshold`); default 2.58.
    pub weights_threshold: f64,
    /// One-sided error rate of the threshold (`alpha`); default 0.05.
    pub alpha: f64,
    /// Fit a linear trend when the rules allow (`trend`); default true.
    pub trend: bool,
    /// Significance level for keeping the trend (`pThresholdTrend`); default 0.05.
    pub p_threshold_trend: f64,
    /// Fewer cases than this in the last `limit_periods` points give no threshold
    /// (`limit54[1]`); default 5.
    pub limit_cases: u32,
    /// See `limit_cases` (`limit54[2]`); default 4.
    pub limit_periods: usize,
    /// Power transform of the delta threshold (`powertrans`); default 2/3.
    pub power_transform: PowerTransform,
    /// Levels of the seasonal factor (`noPeriods`); 1 (default) means reference windows only.
    pub no_periods: usize,
    /// Recent points left out of the fit besides the current one (`pastWeeksNotIncluded`);
    /// `None` (default) means `w`.
    pub past_weeks_not_included: Option<usize>,
    /// Threshold method (`thresholdMethod`); default [`ThresholdMethod::Delta`].
    pub threshold_method: ThresholdMethod,
}

impl Default for FarringtonParams {
    /// The defaults of `surveillance::farringtonFlexible`.
    fn default() -> Self {
        FarringtonParams {
            b: 5,
            w: 3,
            reweight: true,
            weights_threshold: 2.58,
            alpha: 0.05,
            trend: true,
            p_threshold_trend: 0.05,
            limit_cases: 5,
            limit_periods: 4,
            power_transform: PowerTransform::TwoThirds,
            no_periods: 1,
            past_weeks_not_included: None,
            threshold_method: ThresholdMethod::Delta,
        }
    }
}

impl FarringtonParams {
    /// The improved algorithm with the settings Noufaily et al. 2013 recommend: a 10-level
    /// seasonal factor, the last 26 weeks left out, the trend kept whenever it does not
    /// extrapolate (`pThresholdTrend = 1`) and the negative binomial threshold. The other
    /// fields keep the package defaults (`b = 5`, `w = 3`, `alpha = 0.05`).
    pub fn noufaily() -> Self {
        FarringtonParams {
            no_periods: 10,
            past_weeks_not_included: Some(26),
            p_threshold_trend: 1.0,
            threshold_method: ThresholdMethod::NbPlugin,
            ..FarringtonParams::default()
        }
    }

    fn validate(&self) -> Result<(), EpiError> {
        at_least("b", self.b as usize, 1, "at least 1 year")?;
        open_unit("alpha", self.alpha)?;
        positive("weights_threshold", self.weights_threshold)?;
        closed_unit("p_threshold_trend", self.p_threshold_trend)?;
        at_least("limit_periods", self.limit_periods, 1, "at least 1 period")?;
        at_least("no_periods", self.no_periods, 1, "at least 1 level")?;
        Ok(())
    }

    fn excluded(&self) -> usize {
        self.past_weeks_not_included.unwrap_or(self.w)
    }
}

/// Runs the improved Farrington method over `series`.
///
/// The result starts at the first point whose `b` years of reference windows lie inside the
/// series (for weekly data index `52 b + w + 1` or a neighbour, as the calendar falls) and runs
/// to the end. A point where the model cannot be fitted has no expected value, threshold or
/// alarm.
///
/// # Errors
///
/// - [`EpiError::InvalidParameter`] for a parameter outside its domain, or `no_periods` too
///   large for the points between two reference windows.
/// - [`EpiError::TooShort`] when no point has `b` years of history, naming how many points the
///   first judged point needs.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use fangkong_epi::aberration::{farrington, FarringtonParams};
/// use fangkong_epi::{Frequency, Series};
/// let start = NaiveDate::from_ymd_opt(2015, 1, 5).unwrap();
/// let counts: Vec<u32> = (0..300).map(|t| 10 + (t % 3)).collect();
/// let series = Series::from_counts(start, Frequency::Weekly, &counts).unwrap();
/// let out = farrington(&series, &FarringtonParams::default()).unwrap();
/// assert!(out.iter().all(|e| (e.expected.unwrap() - 11.0).abs() < 0.5 && !e.alarm));
///
/// let short = Series::from_counts(start, Frequency::Weekly, &counts[..100]).unwrap();
/// assert!(farrington(&short, &FarringtonParams::default()).is_err());
/// ```
pub fn farrington(series: &Series, params: &FarringtonParams) -> Result<Vec<Evaluation>, EpiError> {
    params.validate()?;
    let first = first_evaluable(series, params)?;
    let mut out = Vec::with_capacity(series.len().saturating_sub(first));
    for t in first..series.len() {
        let point = evaluate_point(series, params, t)?;
        let observed = series.counts()[t];
        let (expected, threshold, alarm) = match point {
            None => (None, None, false),
            Some(p) => {
                let threshold = if p.enough_cases { p.upper } else { None };
                let alarm = match (as_f64(observed), threshold) {
                    (Some(y), Some(u)) => {
                        // The exceedance score of `farringtonFlexible`, with its centre: the
                        // prediction on the response scale for "delta", on the link scale for
                        // the negative binomial methods.
                        let score = (y - p.score_centre) / (u - p.score_centre);
                        score > 1.0 && y != 0.0
                    }
                    _ => false,
                };
                (Some(p.expected), threshold, alarm)
            }
        };
        out.push(Evaluation {
            index: t,
            date: date_of(series, t),
            observed,
            expected,
            threshold,
            alarm,
        });
    }
    Ok(out)
}

/// What the model says about one point.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PointFit {
    pub expected: f64,
    pub upper: Option<f64>,
    pub score_centre: f64,
    pub phi: f64,
    pub trend: bool,
    pub enough_cases: bool,
}

/// The first index whose reference windows all lie inside the series.
fn first_evaluable(series: &Series, params: &FarringtonParams) -> Result<usize, EpiError> {
    let fits = |t: usize| {
        (1..=params.b).all(|j| {
            series
                .index_years_before(t, j)
                .is_some_and(|r| r >= params.w)
        }) && t + 1 >= params.limit_periods
    };
    let per_year = series.frequency().periods_per_year();
    let horizon = per_year * (params.b as usize + 1) + params.w + params.limit_periods + 2;
    let first = (0..horizon)
        .find(|&t| fits(t))
        .ok_or(EpiError::InvalidParameter {
            name: "b",
            value: f64::from(params.b),
            expected: "a number of years whose dates are representable",
        })?;
    if first >= series.len() {
        return Err(EpiError::TooShort {
            method: "farrington",
            needed: first + 1,
            found: series.len(),
        });
    }
    Ok(first)
}

/// The seasonal level of every point up to `t` (`blocks` of `farringtonFlexible`), `None`
/// where a point is not used.
fn levels(
    series: &Series,
    params: &FarringtonParams,
    t: usize,
) -> Result<Vec<Option<usize>>, EpiError> {
    let p = params.no_periods;
    let w = params.w;
    let mut level = vec![None; t + 1];
    let mut refs = vec![t];
    for j in 1..=params.b {
        refs.push(series.index_years_before(t, j).unwrap_or(0));
    }
    for slot in &mut level[t.saturating_sub(w)..=t] {
        *slot = Some(p);
    }
    for i in 1..refs.len() {
        let centre = refs[i];
        for slot in &mut level[centre.saturating_sub(w)..=(centre + w).min(t)] {
            *slot = Some(p);
        }
        if p == 1 {
            continue;
        }
        let gap = refs[i - 1] as i64 - 2 * w as i64 - 1 - centre as i64;
        if gap < (p - 1) as i64 {
            return Err(EpiError::InvalidParameter {
                name: "no_periods",
                value: p as f64,
                expected: "at most one level per point between two reference windows, plus one",
            });
        }
        let gap = gap as usize;
        let (len, rest) = (gap / (p - 1), gap % (p - 1));
        let mut at = centre + w + 1;
        for block in 1..p {
            let block_len = len + usize::from(block <= rest);
            for slot in &mut level[at..at + block_len] {
                *slot = Some(block);
            }
            at += block_len;
        }
    }
    // Leave out the recent past and the current point.
    for slot in &mut level[t.saturating_sub(params.excluded())..=t] {
        *slot = None;
    }
    Ok(level)
}

/// One row of the data of the GLM.
struct Row {
    time: f64,
    level: usize,
    y: f64,
}

/// A fitted model with the design that produced it.
struct Model {
    fit: GlmFit,
    phi: f64,
    /// The dispersion behind standard errors and the trend test, see [`fit_model`].
    se_dispersion: f64,
    trend: bool,
    /// Seasonal levels with a column, in column order after the intercept and trend.
    level_columns: Vec<usize>,
    time_centre: f64,
}

impl Model {
    fn row(&self, time: f64, level: usize) -> Vec<f64> {
        let mut x = vec![1.0];
        if self.trend {
            x.push(time - self.time_centre);
        }
        x.extend(
            self.level_columns
                .iter()
                .map(|&l| f64::from(u8::from(l == level))),
        );
        x
    }

    /// Linear predictor and its standard error at `time` in the reference level, with the
    /// unclamped dispersion, as R's `predict.glm(se.fit = TRUE)` gives them.
    fn predict(&self, time: f64, level: usize) -> (f64, f64) {
        let x = self.row(time, level);
        let eta = dot(&x, &self.fit.beta);
        let se = (self.se_dispersion * quadratic_form(&self.fit.cov_unscaled, &x)).sqrt();
        (eta, se)
    }

    /// Two-sided p-value of the trend coefficient (`summary.glm`, t-test).
    fn trend_p_value(&self) -> Option<f64> {
        let beta = self.fit.beta.get(1)?;
        let se = (self.se_dispersion * self.fit.cov_unscaled[1][1]).sqrt();
        let t = beta / se;
        if t.is_nan() {
            return None;
        }
        let tail = t_upper_tail(t.abs(), self.fit.df_residual as f64)?;
        Some(2.0 * tail)
    }
}

/// `algo.farrington.fitGLM.flexible`: fit, then refit once with Anscombe weights.
fn fit_model(rows: &[Row], params: &FarringtonParams, trend: bool) -> Option<Model> {
    let reference = params.no_periods;
    let mut level_columns: Vec<usize> = Vec::new();
    if params.no_periods > 1 {
        for row in rows {
            if row.level != reference && !level_columns.contains(&row.level) {
                level_columns.push(row.level);
            }
        }
        level_columns.sort_unstable();
        if !rows.iter().any(|r| r.level == reference) {
            // R cannot predict for a level that is not in the data either.
            return None;
        }
    }
    let time_centre = rows.iter().map(|r| r.time).sum::<f64>() / rows.len() as f64;
    let mut model = Model {
        fit: GlmFit {
            beta: Vec::new(),
            mu: Vec::new(),
            cov_unscaled: Vec::new(),
            dispersion: f64::NAN,
            df_residual: 0,
            hat: Vec::new(),
        },
        phi: 1.0,
        se_dispersion: f64::NAN,
        trend,
        level_columns,
        time_centre,
    };
    let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
    let unit = vec![1.0; rows.len()];
    let design =
        |m: &Model| -> Vec<Vec<f64>> { rows.iter().map(|r| m.row(r.time, r.level)).collect() };
    let fit = match fit_quasi_poisson(&design(&model), &y, &unit) {
        Some(fit) => fit,
        None if trend => {
            // As R: no convergence with the trend, so try without it.
            model.trend = false;
            fit_quasi_poisson(&design(&model), &y, &unit)?
        }
        None => return None,
    };
    let mut phi = fit.dispersion.max(1.0);
    let mut se_dispersion = fit.dispersion;
    let mut fit = fit;
    if params.reweight {
        let s: Vec<f64> = (0..rows.len())
            .map(|i| {
                let (yi, mu) = (y[i], fit.mu[i]);
                let raw = 1.5 * (yi.powf(2.0 / 3.0) * mu.powf(-1.0 / 6.0) - mu.sqrt());
                raw / (phi * (1.0 - fit.hat[i])).sqrt()
            })
            .collect();
        let omega = anscombe_weights(&s, params.weights_threshold);
        fit = fit_quasi_poisson(&design(&model), &y, &omega)?;
        phi = fit.dispersion.max(1.0);
        // `algo.farrington.fitGLM.flexible` then stores the prior weights `omega` in the
        // slot of the working weights (`model$weights <- omega`), so every later
        // `summary.glm` and `predict.glm` estimates the dispersion as
        // `sum(omega ((y - mu) / mu)^2) / (n - p)`, without the factor `mu` of the working
        // weights. That value sets the standard errors of the trend test and of the
        // prediction; we reproduce it to give the package's thresholds.
        se_dispersion = (0..rows.len())
            .map(|i| omega[i] * ((y[i] - fit.mu[i]) / fit.mu[i]).powi(2))
            .sum::<f64>()
            / fit.df_residual as f64;
    }
    model.fit = fit;
    model.phi = phi;
    model.se_dispersion = se_dispersion;
    Some(model)
}

/// `algo.farrington.assign.weights`: `s^-2` above the threshold, 1 otherwise, scaled so that
/// the weights sum to their number.
fn anscombe_weights(s: &[f64], threshold: f64) -> Vec<f64> {
    let raw: Vec<f64> = s
        .iter()
        .map(|&si| if si > threshold { si.powi(-2) } else { 1.0 })
        .collect();
    let gamma = s.len() as f64 / raw.iter().sum::<f64>();
    raw.into_iter().map(|r| gamma * r).collect()
}

/// Fits the model for point `t` and derives its threshold. `Ok(None)` when the model cannot
/// be fitted.
pub(super) fn evaluate_point(
    series: &Series,
    params: &FarringtonParams,
    t: usize,
) -> Result<Option<PointFit>, EpiError> {
    let counts = series.counts();
    let level = levels(series, params, t)?;
    let rows: Vec<Row> = level
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let y = as_f64(counts[i])?;
            Some(Row {
                time: i as f64,
                level: (*l)?,
                y,
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let now = t as f64;
    let reference = params.no_periods;
    let Some(mut model) = fit_model(&rows, params, params.trend) else {
        return Ok(None);
    };
    if model.trend {
        let (eta, _) = model.predict(now, reference);
        let significant = model
            .trend_p_value()
            .is_some_and(|p| p < params.p_threshold_trend);
        let at_least_three_years = params.b >= 3;
        let max_y = rows.iter().map(|r| r.y).fold(f64::NEG_INFINITY, f64::max);
        let no_extrapolation = eta.exp() <= max_y;
        if !(significant && at_least_three_years && no_extrapolation) {
            let Some(without) = fit_model(&rows, params, false) else {
                return Ok(None);
            };
            model = without;
        }
    }
    let (eta0, se_eta0) = model.predict(now, reference);
    let mu0 = eta0.exp();
    let phi = model.phi;
    let z = qnorm(1.0 - params.alpha);
    let (upper, score_centre) = match params.threshold_method {
        ThresholdMethod::Delta => {
            // Farrington et al. 1996: tau = phi + var(mu0) / mu0 with var(mu0) = (mu0 se)^2.
            let tau = phi + mu0 * se_eta0 * se_eta0;
            let upper = match params.power_transform {
                PowerTransform::Identity => mu0 + z * (mu0 * tau).sqrt(),
                PowerTransform::SquareRoot => (mu0.sqrt() + z * (tau / 4.0).sqrt()).powi(2),
                // Noufaily et al. 2013, 2/3-power transform.
                PowerTransform::TwoThirds => {
                    let se = (4.0 / 9.0 * mu0.powf(1.0 / 3.0) * tau).sqrt();
                    (mu0.powf(2.0 / 3.0) + z * se).powf(1.5)
                }
            };
            (upper.is_finite().then_some(upper), mu0)
        }
        ThresholdMethod::NbPlugin | ThresholdMethod::Muan => {
            let centre = if params.threshold_method == ThresholdMethod::NbPlugin {
                mu0
            } else {
                (eta0 + z * se_eta0).exp()
            };
            let upper = if !centre.is_finite() {
                None
            } else if phi > 1.0 {
                // Negative binomial with mean `centre` and variance `phi * centre`.
                Some(qnbinom(1.0 - params.alpha, centre / (phi - 1.0), 1.0 / phi) as f64)
            } else {
                Some(qpois(1.0 - params.alpha, centre) as f64)
            };
            (upper, eta0)
        }
    };
    let recent = &counts[(t + 1 - params.limit_periods)..=t];
    let enough_cases = recent
        .iter()
        .map(|c| c.map(u64::from))
        .sum::<Option<u64>>()
        .is_some_and(|sum| sum >= u64::from(params.limit_cases));
    Ok(Some(PointFit {
        expected: mu0,
        upper,
        score_centre,
        phi,
        trend: model.trend,
        enough_cases,
    }))
}
