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
//! Cost: up to four IRLS fits per point judged, each a few iterations of one `exp` and one
//! `ln` per row. With the defaults (`b = 5`, `w = 3`: 35 rows) that is about 9 µs per daily
//! point on one core; with [`FarringtonParams::noufaily`] on daily data (about 1 800 rows)
//! about 0.35 ms (`fangkong-bench aberration`, issue #9).
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

use super::glm::{
    dot, fit_quasi_poisson_into, quadratic_form, Design, GlmFit, Response, Start, Workspace,
};
use super::{as_f64, dates_from, Evaluation};
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
    let z = qnorm(1.0 - params.alpha);
    // One set of buffers for all points: consecutive points fit models of the same size.
    let mut scratch = Scratch::default();
    let mut out = Vec::with_capacity(series.len().saturating_sub(first));
    for (t, date) in (first..series.len()).zip(dates_from(series, first)) {
        let point = evaluate_point(series, params, t, z, &mut scratch)?;
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
            date,
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
    // No point before `lowest` can fit: `b` calendar years back is at least `365 b - 1` days
    // back (29 February to 1 March), so the reference index is at most
    // `t - (365 b - 1 - step / 2) / step` with the rounding of `index_years_before`, and it
    // must reach `w`. Starting there finds the same point as starting at 0.
    let step = series.frequency().days() as usize;
    let lowest = (params.w + (365 * params.b as usize - 1 - step / 2) / step).min(horizon);
    let first = (lowest..horizon)
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

/// The rows of the fit for point `t`, in time order: every point with a count that has a
/// seasonal level (`blocks` of `farringtonFlexible`) and is not left out as recent.
///
/// The levels: `no_periods` for the window of `2w + 1` points around each reference point
/// and around `t`; with `no_periods > 1`, levels `1..no_periods` for the blocks between two
/// windows. Only the points from the earliest window on are visited.
fn collect_rows(
    series: &Series,
    params: &FarringtonParams,
    t: usize,
    refs: &mut Vec<usize>,
    rows: &mut Vec<Row>,
) -> Result<(), EpiError> {
    let p = params.no_periods;
    let w = params.w;
    let counts = series.counts();
    refs.clear();
    refs.push(t);
    for j in 1..=params.b {
        refs.push(series.index_years_before(t, j).unwrap_or(0));
    }
    if p > 1 {
        for i in 1..refs.len() {
            let gap = refs[i - 1] as i64 - 2 * w as i64 - 1 - refs[i] as i64;
            if gap < (p - 1) as i64 {
                return Err(EpiError::InvalidParameter {
                    name: "no_periods",
                    value: p as f64,
                    expected: "at most one level per point between two reference windows, plus one",
                });
            }
        }
    }
    // Points from `cut` on are the recent past and `t` itself, left out.
    let cut = t.saturating_sub(params.excluded());
    rows.clear();
    // Spans arrive in time order; with `no_periods == 1` windows may overlap, and a point is
    // taken once (`next` is the first point not yet visited).
    let mut next = 0;
    let mut take = |from: usize, to: usize, level: usize, rows: &mut Vec<Row>| {
        for (i, count) in counts
            .iter()
            .enumerate()
            .take((to + 1).min(cut))
            .skip(from.max(next))
        {
            if let Some(y) = as_f64(*count) {
                rows.push(Row {
                    time: i as f64,
                    level,
                    y,
                });
            }
        }
        next = next.max(to + 1);
    };
    for i in (1..refs.len()).rev() {
        let centre = refs[i];
        take(centre.saturating_sub(w), (centre + w).min(t), p, rows);
        if p > 1 {
            // Checked above: the gap holds at least one point per block.
            let gap = refs[i - 1] - 2 * w - 1 - centre;
            let (len, rest) = (gap / (p - 1), gap % (p - 1));
            let mut at = centre + w + 1;
            for block in 1..p {
                let block_len = len + usize::from(block <= rest);
                take(at, at + block_len - 1, block, rows);
                at += block_len;
            }
        }
    }
    take(t.saturating_sub(w), t, p, rows);
    Ok(())
}

/// One row of the data of the GLM.
#[derive(Debug)]
struct Row {
    time: f64,
    level: usize,
    y: f64,
}

/// A fitted model with the design that produced it.
#[derive(Debug, Default)]
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

/// The design matrix of [`Model::row`] for every row of the fit, without storing it: the
/// intercept, the centred time when the model has a trend, and the indicator of the row's
/// seasonal level unless it is the reference level. Each row has at most three non-zero
/// entries, so the IRLS loop costs O(rows) instead of O(rows x columns^2), with the same
/// floating-point operations as the dense matrix (see [`Design`]).
struct SeasonalDesign<'a> {
    /// `time - time_centre` of each row, as [`Model::row`] computes it.
    time: &'a [f64],
    /// Column of each row's level indicator; 0 (the intercept) for the reference level.
    column: &'a [usize],
    trend: bool,
    columns: usize,
}

impl SeasonalDesign<'_> {
    /// `x_i' v` (`dot` with the zeros skipped).
    #[inline]
    fn row_dot(&self, i: usize, v: &[f64]) -> f64 {
        let mut s = v[0];
        if self.trend {
            s += v[1] * self.time[i];
        }
        let c = self.column[i];
        if c != 0 {
            s += v[c];
        }
        s
    }
}

impl Design for SeasonalDesign<'_> {
    fn rows(&self) -> usize {
        self.time.len()
    }

    fn columns(&self) -> usize {
        self.columns
    }

    fn normal_equations(&self, w: &[f64], z: &[f64], xtwx: &mut [f64], xtwz: &mut [f64]) {
        // The dense update of a row is `xtwz[a] += (w x_a) z` and `xtwx[a][b] += (w x_a) x_b`
        // for b <= a; with x_0 = 1 and an indicator of 1, `w x_a` is `w` exactly. The cells of
        // the intercept and the trend are summed in locals, in the same order.
        let p = self.columns;
        let rows = w.iter().zip(z).zip(self.time).zip(self.column);
        if self.trend {
            let [mut s00, mut s10, mut s11] = [xtwx[0], xtwx[p], xtwx[p + 1]];
            let [mut z0, mut z1] = [xtwz[0], xtwz[1]];
            for (((&wi, &zi), &tc), &c) in rows {
                let wz = wi * zi;
                z0 += wz;
                s00 += wi;
                let wa = wi * tc;
                z1 += wa * zi;
                s10 += wa;
                s11 += wa * tc;
                if c != 0 {
                    xtwz[c] += wz;
                    xtwx[c * p] += wi;
                    xtwx[c * p + 1] += wi * tc;
                    xtwx[c * p + c] += wi;
                }
            }
            [xtwx[0], xtwx[p], xtwx[p + 1]] = [s00, s10, s11];
            [xtwz[0], xtwz[1]] = [z0, z1];
        } else {
            let (mut s00, mut z0) = (xtwx[0], xtwz[0]);
            for (((&wi, &zi), _), &c) in rows {
                let wz = wi * zi;
                z0 += wz;
                s00 += wi;
                if c != 0 {
                    xtwz[c] += wz;
                    xtwx[c * p] += wi;
                    xtwx[c * p + c] += wi;
                }
            }
            (xtwx[0], xtwz[0]) = (s00, z0);
        }
    }

    fn predict(&self, beta: &[f64], eta: &mut [f64], mu: &mut [f64]) {
        if self.trend {
            let (b0, b1) = (beta[0], beta[1]);
            let rows = eta
                .iter_mut()
                .zip(mu.iter_mut())
                .zip(self.time)
                .zip(self.column);
            for (((e, m), &tc), &c) in rows {
                let mut s = b0 + b1 * tc;
                if c != 0 {
                    s += beta[c];
                }
                *e = s;
                *m = s.exp();
            }
        } else {
            // Without the trend every row of a level has the same linear predictor: one
            // exponential per level instead of one per row, with identical values.
            let mut level_eta = [0.0; 16];
            let mut level_mu = [0.0; 16];
            if self.columns > level_eta.len() {
                for i in 0..self.time.len() {
                    eta[i] = self.row_dot(i, beta);
                    mu[i] = eta[i].exp();
                }
                return;
            }
            for c in 0..self.columns {
                level_eta[c] = if c == 0 { beta[0] } else { beta[0] + beta[c] };
                level_mu[c] = level_eta[c].exp();
            }
            for (i, &c) in self.column.iter().enumerate() {
                eta[i] = level_eta[c];
                mu[i] = level_mu[c];
            }
        }
    }

    fn quadratic_form(&self, i: usize, a: &[f64]) -> f64 {
        let p = self.columns;
        let inner = |r: usize| self.row_dot(i, &a[r * p..(r + 1) * p]);
        let mut q = inner(0);
        if self.trend {
            q += self.time[i] * inner(1);
        }
        let c = self.column[i];
        if c != 0 {
            q += inner(c);
        }
        q
    }

    fn repeats_means(&self) -> bool {
        // Without the trend every row of a level has the same mean.
        !self.trend
    }

    fn dense_row(&self, i: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.columns, 0.0);
        out[0] = 1.0;
        if self.trend {
            out[1] = self.time[i];
        }
        if self.column[i] != 0 {
            out[self.column[i]] = 1.0;
        }
    }
}

/// Buffers of the fits, reused from one point to the next.
#[derive(Debug, Default)]
struct Scratch {
    refs: Vec<usize>,
    rows: Vec<Row>,
    counts: CountTable,
    fit: FitScratch,
    /// The model with the trend (or as first fitted) and the one without.
    models: [Model; 2],
}

/// Values that depend on a count alone, by count, computed when first needed: a series has
/// few distinct counts, and consecutive points share most of their rows.
#[derive(Debug, Default)]
struct CountTable {
    /// The IRLS start values and `count^(2/3)` (for the Anscombe residuals) of each count;
    /// [`Start::UNKNOWN`] when not yet computed.
    values: Vec<(Start, f64)>,
}

impl CountTable {
    /// Counts at or above this are computed each time rather than kept.
    const LIMIT: usize = 1 << 12;

    /// The start values and the 2/3 power of `y`, a count.
    fn get(&mut self, y: f64) -> (Start, f64) {
        let compute = |y: f64| (Start::of(y), y.powf(2.0 / 3.0));
        let index = y as usize;
        if index >= Self::LIMIT {
            return compute(y);
        }
        if index >= self.values.len() {
            self.values.resize(index + 1, (Start::UNKNOWN, f64::NAN));
        }
        if self.values[index].0.is_unknown() {
            self.values[index] = compute(y);
        }
        self.values[index]
    }
}

/// Buffers of [`fit_model`].
#[derive(Debug, Default)]
struct FitScratch {
    response: Response,
    /// `y^(2/3)` of each row.
    y_two_thirds: Vec<f64>,
    ones: Vec<f64>,
    omega: Vec<f64>,
    time: Vec<f64>,
    column: Vec<usize>,
    /// Column of each level, by level; `usize::MAX` for levels without a column.
    column_of_level: Vec<usize>,
    glm: Workspace,
}

/// Fits `model` (whose `trend`, `level_columns` and `time_centre` are set) with prior
/// weights `prior`, or with the ones of `ws` when `prior` is `None`; the hat values only
/// `with_hat`.
fn fit_design(
    rows: &[Row],
    model: &mut Model,
    ws: &mut FitScratch,
    prior: Option<&[f64]>,
    with_hat: bool,
) -> bool {
    let trend = model.trend;
    let first_level_column = 1 + usize::from(trend);
    ws.column_of_level.clear();
    if let Some(&max_level) = model.level_columns.iter().max() {
        ws.column_of_level.resize(max_level + 1, usize::MAX);
    }
    for (k, &l) in model.level_columns.iter().enumerate() {
        ws.column_of_level[l] = first_level_column + k;
    }
    ws.time.clear();
    ws.column.clear();
    for r in rows {
        ws.time.push(r.time - model.time_centre);
        let column = ws
            .column_of_level
            .get(r.level)
            .copied()
            .unwrap_or(usize::MAX);
        ws.column
            .push(if column == usize::MAX { 0 } else { column });
    }
    let design = SeasonalDesign {
        time: &ws.time,
        column: &ws.column,
        trend,
        columns: first_level_column + model.level_columns.len(),
    };
    let prior = prior.unwrap_or(&ws.ones);
    fit_quasi_poisson_into(
        &design,
        &ws.response,
        prior,
        with_hat,
        &mut ws.glm,
        &mut model.fit,
    )
}

/// `algo.farrington.fitGLM.flexible`: fit, then refit once with Anscombe weights, into
/// `model`; `false` when the model cannot be fitted. `ws.response`, `ws.y_two_thirds` and
/// `ws.ones` must hold the counts of `rows`, their 2/3 powers and as many ones.
fn fit_model(
    rows: &[Row],
    params: &FarringtonParams,
    trend: bool,
    ws: &mut FitScratch,
    model: &mut Model,
) -> bool {
    let reference = params.no_periods;
    model.level_columns.clear();
    if params.no_periods > 1 {
        // The distinct levels other than the reference, in increasing order.
        let mut present = vec![false; reference];
        for row in rows {
            if row.level != reference {
                present[row.level] = true;
            }
        }
        model
            .level_columns
            .extend((0..reference).filter(|&l| present[l]));
        if !rows.iter().any(|r| r.level == reference) {
            // R cannot predict for a level that is not in the data either.
            return false;
        }
    }
    model.time_centre = rows.iter().map(|r| r.time).sum::<f64>() / rows.len() as f64;
    model.trend = trend;
    // The hat values serve the Anscombe residuals of the reweighting only.
    let with_hat = params.reweight;
    if !fit_design(rows, model, ws, None, with_hat) {
        if !trend {
            return false;
        }
        // As R: no convergence with the trend, so try without it.
        model.trend = false;
        if !fit_design(rows, model, ws, None, with_hat) {
            return false;
        }
    }
    let n = rows.len();
    let mut phi = model.fit.dispersion.max(1.0);
    let mut se_dispersion = model.fit.dispersion;
    if params.reweight {
        let fit = &model.fit;
        let y_two_thirds = &ws.y_two_thirds;
        ws.omega.clear();
        // Rows of a level share their mean when the model has no trend: the powers of the
        // last mean are kept for the next row.
        let mut last: (u64, f64, f64) = (f64::NAN.to_bits(), f64::NAN, f64::NAN);
        ws.omega.extend((0..n).map(|i| {
            let mu = fit.mu[i];
            if mu.to_bits() != last.0 {
                last = (mu.to_bits(), mu.powf(-1.0 / 6.0), mu.sqrt());
            }
            let raw = 1.5 * (y_two_thirds[i] * last.1 - last.2);
            raw / (phi * (1.0 - fit.hat[i])).sqrt()
        }));
        anscombe_weights(&mut ws.omega, params.weights_threshold);
        let omega = std::mem::take(&mut ws.omega);
        let refitted = fit_design(rows, model, ws, Some(&omega), false);
        ws.omega = omega;
        if !refitted {
            return false;
        }
        let (y, omega, fit) = (ws.response.y(), &ws.omega, &model.fit);
        phi = fit.dispersion.max(1.0);
        // `algo.farrington.fitGLM.flexible` then stores the prior weights `omega` in the
        // slot of the working weights (`model$weights <- omega`), so every later
        // `summary.glm` and `predict.glm` estimates the dispersion as
        // `sum(omega ((y - mu) / mu)^2) / (n - p)`, without the factor `mu` of the working
        // weights. That value sets the standard errors of the trend test and of the
        // prediction; we reproduce it to give the package's thresholds.
        se_dispersion = (0..n)
            .map(|i| omega[i] * ((y[i] - fit.mu[i]) / fit.mu[i]).powi(2))
            .sum::<f64>()
            / fit.df_residual as f64;
    }
    model.phi = phi;
    model.se_dispersion = se_dispersion;
    true
}

/// `algo.farrington.assign.weights`, in place: the standardised residuals `s` become `s^-2`
/// above the threshold and 1 otherwise, scaled so that the weights sum to their number.
fn anscombe_weights(s: &mut [f64], threshold: f64) {
    for si in s.iter_mut() {
        *si = if *si > threshold { si.powi(-2) } else { 1.0 };
    }
    let gamma = s.len() as f64 / s.iter().sum::<f64>();
    for r in s.iter_mut() {
        *r *= gamma;
    }
}

/// Fits the model for point `t` and derives its threshold, with `z = qnorm(1 - alpha)`.
/// `Ok(None)` when the model cannot be fitted.
fn evaluate_point(
    series: &Series,
    params: &FarringtonParams,
    t: usize,
    z: f64,
    scratch: &mut Scratch,
) -> Result<Option<PointFit>, EpiError> {
    let counts = series.counts();
    collect_rows(series, params, t, &mut scratch.refs, &mut scratch.rows)?;
    let rows = &scratch.rows;
    if rows.is_empty() {
        return Ok(None);
    }
    let ws = &mut scratch.fit;
    ws.response.clear();
    ws.y_two_thirds.clear();
    for row in rows {
        let (start, two_thirds) = scratch.counts.get(row.y);
        ws.response.push(row.y, start);
        ws.y_two_thirds.push(two_thirds);
    }
    ws.ones.clear();
    ws.ones.resize(rows.len(), 1.0);
    let now = t as f64;
    let reference = params.no_periods;
    let [first_model, without_trend] = &mut scratch.models;
    if !fit_model(rows, params, params.trend, ws, first_model) {
        return Ok(None);
    }
    let mut model = &*first_model;
    if model.trend {
        let (eta, _) = model.predict(now, reference);
        let significant = model
            .trend_p_value()
            .is_some_and(|p| p < params.p_threshold_trend);
        let at_least_three_years = params.b >= 3;
        let max_y = rows.iter().map(|r| r.y).fold(f64::NEG_INFINITY, f64::max);
        let no_extrapolation = eta.exp() <= max_y;
        if !(significant && at_least_three_years && no_extrapolation) {
            if !fit_model(rows, params, false, ws, without_trend) {
                return Ok(None);
            }
            model = &*without_trend;
        }
    }
    let (eta0, se_eta0) = model.predict(now, reference);
    let mu0 = eta0.exp();
    let phi = model.phi;
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::glm::{fit_quasi_poisson, GlmFit};
    use super::*;
    use crate::Frequency;

    #[test]
    fn first_evaluable_point_is_the_first_that_fits() {
        // The search starts at a lower bound; it must find what a search from 0 finds,
        // whatever the calendar (leap days at the start, in the middle or at the end).
        let starts = [
            "2015-01-05",
            "2016-02-29",
            "2016-03-01",
            "2019-12-31",
            "2020-02-28",
        ];
        for start in starts {
            let start = NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap();
            for frequency in [Frequency::Daily, Frequency::Weekly] {
                let series = Series::from_counts(start, frequency, &[1; 4000]).unwrap();
                for b in 1..=6 {
                    for w in [0, 3, 30] {
                        let params = FarringtonParams {
                            b,
                            w,
                            ..FarringtonParams::default()
                        };
                        let naive = (0..)
                            .find(|&t| {
                                (1..=b).all(|j| {
                                    series.index_years_before(t, j).is_some_and(|r| r >= w)
                                }) && t + 1 >= params.limit_periods
                            })
                            .unwrap();
                        let found = first_evaluable(&series, &params);
                        if naive < series.len() {
                            assert_eq!(found, Ok(naive), "{start} {frequency:?} b={b} w={w}");
                        } else {
                            assert!(found.is_err());
                        }
                    }
                }
            }
        }
    }

    /// A dense design matrix of the model of `fit_model`, the reference of `SeasonalDesign`.
    fn dense(rows: &[Row], model: &Model) -> Vec<Vec<f64>> {
        rows.iter().map(|r| model.row(r.time, r.level)).collect()
    }

    fn bits(fit: &GlmFit) -> Vec<u64> {
        let mut out: Vec<u64> = fit.beta.iter().map(|v| v.to_bits()).collect();
        out.extend(fit.mu.iter().map(|v| v.to_bits()));
        out.extend(fit.cov_unscaled.iter().flatten().map(|v| v.to_bits()));
        out.extend(fit.hat.iter().map(|v| v.to_bits()));
        out.push(fit.dispersion.to_bits());
        out
    }

    #[test]
    fn seasonal_design_fits_exactly_as_the_dense_matrix() {
        // Counts of three levels with a trend and an outbreak; every combination of trend and
        // levels must give the very same bits as the dense IRLS.
        let rows: Vec<Row> = (0..60)
            .map(|i| Row {
                time: f64::from(i * 3 + 1),
                level: (i % 3) as usize + 1,
                y: f64::from((i * 7919 + 13) % 11 + u32::from(i > 50) * 20),
            })
            .collect();
        for (trend, levels) in [
            (true, vec![1, 2]),
            (false, vec![1, 2]),
            (true, vec![]),
            (false, vec![]),
        ] {
            let mut model = Model {
                trend,
                level_columns: levels,
                time_centre: rows.iter().map(|r| r.time).sum::<f64>() / rows.len() as f64,
                ..Model::default()
            };
            // Reference level 3: rows of level 3 have no indicator.
            let x = dense(&rows, &model);
            let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
            let prior: Vec<f64> = (0..rows.len())
                .map(|i| 0.5 + (i % 4) as f64 / 4.0)
                .collect();
            let expected = fit_quasi_poisson(&x, &y, &prior).unwrap();
            let mut ws = FitScratch::default();
            for r in &rows {
                ws.response.push(r.y, Start::of(r.y));
            }
            assert!(fit_design(&rows, &mut model, &mut ws, Some(&prior), true));
            assert_eq!(bits(&model.fit), bits(&expected), "trend {trend}");
        }
    }
}
