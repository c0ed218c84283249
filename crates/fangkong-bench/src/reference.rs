//! The naive reference: every method recomputed from scratch for every judged day, the way
//! one writes it first, single-threaded.
//!
//! Why it exists: the benchmark reports how much faster `fangkong_epi` is than a
//! straightforward implementation of the same definitions, and checks on the same data that
//! both give the same verdicts. It follows the semantics that the `fangkong_epi` module docs
//! state (the `surveillance` package's rules and the documented departures), not the crate's
//! code.
//!
//! What it does, for each series and each of the judged days `t`, with nothing kept from one
//! day to the next:
//!
//! - EARS C1/C2: collects the 7 baseline counts (lag 0 or 2) into a new vector, and loops over
//!   them twice for the mean and the sample standard deviation. C3 does this for `t`, `t - 1`
//!   and `t - 2`.
//! - CUSUM: takes `m` as the mean of the 7 days before the judged window, then loops from the
//!   first judged day up to `t` to rebuild the CUSUM `S`.
//! - Farrington: finds the reference dates with calendar arithmetic, marks the seasonal level
//!   of every day from the start of the series up to `t` in a new vector, collects the rows of
//!   the fit, builds a dense design matrix (`Vec<Vec<f64>>`), and fits the quasi-Poisson GLM by
//!   plain IRLS: per iteration `X' W X` and `X' W z` by a triple loop over the dense rows, the
//!   inverse by Gauss-Jordan elimination with partial pivoting, then `beta`, `eta` and `mu` for
//!   every row. Then the Anscombe reweighting and a second fit, the trend test (Student's t
//!   tail by a continued fraction for the incomplete beta function), the refit without trend
//!   when the trend is dropped, and the threshold (the delta method, or for the negative
//!   binomial threshold a quantile found by summing the probability mass function).
//!
//! It never draws on a previous day's fit or on another thread. It uses R's values of the
//! normal quantiles it needs instead of computing them.
//!
//! What it must not do: call `fangkong_epi`'s methods; it reads only their parameter types.

// The reference indexes rows and columns as the textbook formulas do, on purpose.
#![allow(clippy::needless_range_loop)]

use chrono::{Datelike, Days, NaiveDate};
use fangkong_epi::aberration::{FarringtonParams, Method, PowerTransform, ThresholdMethod};

/// The verdict on one judged day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub expected: Option<f64>,
    pub threshold: Option<f64>,
    pub alarm: bool,
}

const NONE: Point = Point {
    expected: None,
    threshold: None,
    alarm: false,
};

/// R's `qnorm(1 - alpha)` for the alphas the methods use.
fn z_of(alpha: f64) -> f64 {
    if alpha == 0.001 {
        3.090_232_306_167_813
    } else if alpha == 0.025 {
        1.959_963_984_540_054
    } else if alpha == 0.05 {
        1.644_853_626_951_472
    } else {
        panic!("the reference knows qnorm(1 - alpha) for 0.001, 0.025 and 0.05, not {alpha}")
    }
}

/// Evaluates `method` on the days `first..counts.len()` of a daily series starting on
/// `start`. `None` when the method refuses the series as a whole (CUSUM with a reference mean
/// of 0).
pub fn evaluate(
    method: Method,
    farrington: &FarringtonParams,
    counts: &[Option<u32>],
    start: NaiveDate,
    first: usize,
) -> Option<Vec<Point>> {
    (first..counts.len())
        .map(|t| match method {
            Method::EarsC1 => Some(ears_c1_c2(counts, t, 0)),
            Method::EarsC2 => Some(ears_c1_c2(counts, t, 2)),
            Method::EarsC3 => Some(ears_c3(counts, t)),
            Method::Cusum => cusum(counts, first, t),
            Method::Farrington => Some(farrington_point(counts, start, t, farrington)),
        })
        .collect()
}

/// Mean and sample standard deviation of the 7 counts that end `lag + 1` days before `t`;
/// `None` with fewer than 3 present.
fn ears_baseline(counts: &[Option<u32>], t: usize, lag: usize) -> Option<(f64, f64)> {
    let end = t.checked_sub(lag)?;
    let begin = end.checked_sub(7)?;
    let mut values = Vec::new();
    for c in counts[begin..end].iter().flatten() {
        values.push(f64::from(*c));
    }
    if values.len() < 3 {
        return None;
    }
    let n = values.len() as f64;
    let mut sum = 0.0;
    for v in &values {
        sum += v;
    }
    let mean = sum / n;
    let mut ss = 0.0;
    for v in &values {
        ss += (v - mean) * (v - mean);
    }
    Some((mean, (ss / (n - 1.0)).sqrt()))
}

fn ears_c1_c2(counts: &[Option<u32>], t: usize, lag: usize) -> Point {
    let Some((mean, sd)) = ears_baseline(counts, t, lag) else {
        return NONE;
    };
    let threshold = mean + z_of(0.001) * sd;
    Point {
        expected: Some(mean),
        threshold: Some(threshold),
        alarm: counts[t].is_some_and(|y| f64::from(y) > threshold),
    }
}

fn ears_c3(counts: &[Option<u32>], t: usize) -> Point {
    let Some((mean, sd)) = ears_baseline(counts, t, 2) else {
        return NONE;
    };
    // The documented bound: mean + sd (z - sum over t-1, t-2 of max(0, C2 - 1)), at least 0.
    let mut lagged = Some(0.0);
    for u in [t - 1, t - 2] {
        lagged = match (lagged, counts[u], ears_baseline(counts, u, 2)) {
            (Some(acc), Some(y), Some((m, s))) => {
                let y = f64::from(y);
                let c2 = if s > 0.0 {
                    (y - m) / s
                } else if y > m {
                    f64::INFINITY
                } else if y < m {
                    f64::NEG_INFINITY
                } else {
                    0.0
                };
                Some(acc + (c2 - 1.0).max(0.0))
            }
            _ => None,
        };
    }
    let threshold = lagged.map(|l: f64| {
        if l.is_infinite() {
            0.0
        } else {
            (mean + sd * (z_of(0.025) - l)).max(0.0)
        }
    });
    Point {
        expected: Some(mean),
        threshold,
        alarm: matches!((counts[t], threshold), (Some(y), Some(u)) if f64::from(y) > u),
    }
}

/// The Poisson CUSUM (k = 1.04, h = 2.26) monitoring from `first`, `m` the mean of the 7 days
/// before it; `None` when that mean is 0 or has no count.
fn cusum(counts: &[Option<u32>], first: usize, t: usize) -> Option<Point> {
    let (k, h) = (1.04, 2.26);
    let mut sum = 0.0;
    let mut n = 0.0;
    for c in counts[first - 7..first].iter().flatten() {
        sum += f64::from(*c);
        n += 1.0;
    }
    if n == 0.0 || sum == 0.0 {
        return None;
    }
    let m = sum / n;
    let mut s: f64 = 0.0;
    for y in counts[first..t].iter().flatten() {
        s = (s + (f64::from(*y) - m) / m.sqrt() - k).max(0.0);
    }
    let threshold = (m.sqrt() * (h + k - s) + m).ceil().max(0.0);
    let alarm = counts[t].is_some_and(|y| (s + (f64::from(y) - m) / m.sqrt() - k).max(0.0) >= h);
    Some(Point {
        expected: Some(m),
        threshold: Some(threshold),
        alarm,
    })
}

/// The index of the day `years` calendar years before day `t` (29 February becomes 1 March).
fn years_before(start: NaiveDate, t: usize, years: u32) -> Option<usize> {
    let date = start.checked_add_days(Days::new(t as u64))?;
    let year = date.year() - years as i32;
    let target = NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))?;
    usize::try_from((target - start).num_days()).ok()
}

/// A fitted quasi-Poisson GLM.
struct Fit {
    beta: Vec<f64>,
    mu: Vec<f64>,
    inverse: Vec<Vec<f64>>,
    dispersion: f64,
    df: usize,
    hat: Vec<f64>,
}

/// Plain IRLS for `log E[y] = X beta` with prior weights, R's `glm.fit` start and stopping
/// rule; `None` when it does not converge or `X' W X` is singular.
fn irls(x: &[Vec<f64>], y: &[f64], prior: &[f64]) -> Option<Fit> {
    let n = y.len();
    let p = x[0].len();
    if n < p {
        return None;
    }
    let deviance = |mu: &[f64]| {
        let mut d = 0.0;
        for i in 0..n {
            let term = if y[i] > 0.0 {
                y[i] * (y[i] / mu[i]).ln()
            } else {
                0.0
            };
            d += prior[i] * (term - (y[i] - mu[i]));
        }
        2.0 * d
    };
    let mut mu: Vec<f64> = y.iter().map(|v| v + 0.1).collect();
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut dev_old = deviance(&mu);
    let mut w = vec![0.0; n];
    let mut inverse = Vec::new();
    let mut beta = vec![0.0; p];
    let mut converged = false;
    for _ in 0..25 {
        let mut xtwx = vec![vec![0.0; p]; p];
        let mut xtwz = vec![0.0; p];
        for i in 0..n {
            w[i] = prior[i] * mu[i];
            let z = eta[i] + (y[i] - mu[i]) / mu[i];
            for r in 0..p {
                xtwz[r] += x[i][r] * w[i] * z;
                for c in 0..p {
                    xtwx[r][c] += x[i][r] * w[i] * x[i][c];
                }
            }
        }
        inverse = gauss_jordan_inverse(&xtwx)?;
        for r in 0..p {
            beta[r] = 0.0;
            for c in 0..p {
                beta[r] += inverse[r][c] * xtwz[c];
            }
        }
        for i in 0..n {
            eta[i] = 0.0;
            for r in 0..p {
                eta[i] += x[i][r] * beta[r];
            }
            mu[i] = eta[i].exp();
        }
        let dev = deviance(&mu);
        if !dev.is_finite() {
            return None;
        }
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < 1e-8 {
            converged = true;
            break;
        }
        dev_old = dev;
    }
    if !converged {
        return None;
    }
    let df = n - p;
    let mut pearson = 0.0;
    let mut hat = vec![0.0; n];
    for i in 0..n {
        pearson += w[i] * ((y[i] - mu[i]) / mu[i]).powi(2);
        let mut q = 0.0;
        for r in 0..p {
            for c in 0..p {
                q += x[i][r] * inverse[r][c] * x[i][c];
            }
        }
        hat[i] = w[i] * q;
    }
    Some(Fit {
        beta,
        mu,
        inverse,
        dispersion: if df > 0 {
            pearson / df as f64
        } else {
            f64::NAN
        },
        df,
        hat,
    })
}

/// The inverse by Gauss-Jordan elimination with partial pivoting; `None` when a pivot is
/// below `1e-10` times the largest diagonal entry.
fn gauss_jordan_inverse(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let p = a.len();
    let scale = (0..p).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..p).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for col in 0..p {
        let pivot_row = (col..p).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        let pivot_size = m[pivot_row][col].abs();
        if pivot_size.is_nan() || pivot_size <= 1e-10 * scale {
            return None;
        }
        m.swap(col, pivot_row);
        let pivot = m[col][col];
        for v in &mut m[col] {
            *v /= pivot;
        }
        for r in 0..p {
            if r != col {
                let factor = m[r][col];
                for c in 0..2 * p {
                    m[r][c] -= factor * m[col][c];
                }
            }
        }
    }
    Some(m.into_iter().map(|row| row[p..].to_vec()).collect())
}

/// The model of one day: the fit, `phi` and the dispersion behind standard errors.
struct Model {
    fit: Fit,
    phi: f64,
    se_dispersion: f64,
    trend: bool,
    levels: Vec<usize>,
    centre: f64,
}

impl Model {
    fn design_row(&self, time: f64, level: usize) -> Vec<f64> {
        let mut row = vec![1.0];
        if self.trend {
            row.push(time - self.centre);
        }
        for &l in &self.levels {
            row.push(if l == level { 1.0 } else { 0.0 });
        }
        row
    }

    fn predict(&self, time: f64, level: usize) -> (f64, f64) {
        let x = self.design_row(time, level);
        let p = x.len();
        let mut eta = 0.0;
        let mut q = 0.0;
        for r in 0..p {
            eta += x[r] * self.fit.beta[r];
            for c in 0..p {
                q += x[r] * self.fit.inverse[r][c] * x[c];
            }
        }
        (eta, (self.se_dispersion * q).sqrt())
    }
}

/// Fits the model of `farringtonFlexible` on `rows` (time, level, count): a fit, then a
/// refit with Anscombe weights. Without convergence with the trend, it tries without.
fn fit_farrington(
    rows: &[(f64, usize, f64)],
    params: &FarringtonParams,
    trend: bool,
) -> Option<Model> {
    let reference = params.no_periods;
    let mut levels: Vec<usize> = Vec::new();
    if reference > 1 {
        for &(_, l, _) in rows {
            if l != reference && !levels.contains(&l) {
                levels.push(l);
            }
        }
        levels.sort_unstable();
        if !rows.iter().any(|r| r.1 == reference) {
            return None;
        }
    }
    let centre = rows.iter().map(|r| r.0).sum::<f64>() / rows.len() as f64;
    let mut model = Model {
        fit: Fit {
            beta: Vec::new(),
            mu: Vec::new(),
            inverse: Vec::new(),
            dispersion: f64::NAN,
            df: 0,
            hat: Vec::new(),
        },
        phi: 1.0,
        se_dispersion: f64::NAN,
        trend,
        levels,
        centre,
    };
    let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let ones = vec![1.0; rows.len()];
    let design =
        |m: &Model| -> Vec<Vec<f64>> { rows.iter().map(|r| m.design_row(r.0, r.1)).collect() };
    let mut fit = match irls(&design(&model), &y, &ones) {
        Some(f) => f,
        None if trend => {
            model.trend = false;
            irls(&design(&model), &y, &ones)?
        }
        None => return None,
    };
    let mut phi = fit.dispersion.max(1.0);
    let mut se_dispersion = fit.dispersion;
    if params.reweight {
        let mut omega = Vec::with_capacity(rows.len());
        for i in 0..rows.len() {
            let mu = fit.mu[i];
            let s = 1.5 * (y[i].powf(2.0 / 3.0) * mu.powf(-1.0 / 6.0) - mu.sqrt())
                / (phi * (1.0 - fit.hat[i])).sqrt();
            omega.push(if s > params.weights_threshold {
                s.powi(-2)
            } else {
                1.0
            });
        }
        let scale = rows.len() as f64 / omega.iter().sum::<f64>();
        for o in &mut omega {
            *o *= scale;
        }
        fit = irls(&design(&model), &y, &omega)?;
        phi = fit.dispersion.max(1.0);
        // farringtonFlexible's quirk: standard errors use the prior weights as working weights.
        se_dispersion = 0.0;
        for i in 0..rows.len() {
            se_dispersion += omega[i] * ((y[i] - fit.mu[i]) / fit.mu[i]).powi(2);
        }
        se_dispersion /= fit.df as f64;
    }
    model.fit = fit;
    model.phi = phi;
    model.se_dispersion = se_dispersion;
    Some(model)
}

/// Farrington (flexible) for day `t`, from scratch.
fn farrington_point(
    counts: &[Option<u32>],
    start: NaiveDate,
    t: usize,
    params: &FarringtonParams,
) -> Point {
    let p = params.no_periods;
    let w = params.w;
    // The seasonal level of every day up to t.
    let mut level: Vec<Option<usize>> = vec![None; t + 1];
    let mut refs = vec![t];
    for j in 1..=params.b {
        refs.push(years_before(start, t, j).unwrap_or(0));
    }
    for slot in &mut level[t.saturating_sub(w)..=t] {
        *slot = Some(p);
    }
    for i in 1..refs.len() {
        let centre = refs[i];
        for slot in &mut level[centre.saturating_sub(w)..=(centre + w).min(t)] {
            *slot = Some(p);
        }
        if p > 1 {
            // The method refuses more levels than days between two windows.
            let Some(gap) = refs[i - 1].checked_sub(2 * w + 1 + centre) else {
                return NONE;
            };
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
    }
    let excluded = params.past_weeks_not_included.unwrap_or(w);
    for slot in &mut level[t.saturating_sub(excluded)..=t] {
        *slot = None;
    }
    let mut rows = Vec::new();
    for i in 0..=t {
        if let (Some(l), Some(y)) = (level[i], counts[i]) {
            rows.push((i as f64, l, f64::from(y)));
        }
    }
    if rows.is_empty() {
        return NONE;
    }
    let now = t as f64;
    let Some(mut model) = fit_farrington(&rows, params, params.trend) else {
        return NONE;
    };
    if model.trend {
        let (eta, _) = model.predict(now, p);
        let se = (model.se_dispersion * model.fit.inverse[1][1]).sqrt();
        let tstat = model.fit.beta[1] / se;
        let significant = !tstat.is_nan()
            && model.fit.df > 0
            && student_two_sided_p(tstat, model.fit.df as f64) < params.p_threshold_trend;
        let max_y = rows.iter().map(|r| r.2).fold(f64::NEG_INFINITY, f64::max);
        if !(significant && params.b >= 3 && eta.exp() <= max_y) {
            match fit_farrington(&rows, params, false) {
                Some(m) => model = m,
                None => return NONE,
            }
        }
    }
    let (eta0, se_eta0) = model.predict(now, p);
    let mu0 = eta0.exp();
    let phi = model.phi;
    let z = z_of(params.alpha);
    let (upper, centre) = match params.threshold_method {
        ThresholdMethod::Delta => {
            let tau = phi + mu0 * se_eta0 * se_eta0;
            let upper = match params.power_transform {
                PowerTransform::Identity => mu0 + z * (mu0 * tau).sqrt(),
                PowerTransform::SquareRoot => (mu0.sqrt() + z * (tau / 4.0).sqrt()).powi(2),
                PowerTransform::TwoThirds => {
                    let se = (4.0 / 9.0 * mu0.powf(1.0 / 3.0) * tau).sqrt();
                    (mu0.powf(2.0 / 3.0) + z * se).powf(1.5)
                }
            };
            (upper.is_finite().then_some(upper), mu0)
        }
        ThresholdMethod::NbPlugin | ThresholdMethod::Muan => {
            let mean = if params.threshold_method == ThresholdMethod::NbPlugin {
                mu0
            } else {
                (eta0 + z * se_eta0).exp()
            };
            let upper = mean
                .is_finite()
                .then(|| count_quantile(1.0 - params.alpha, mean, phi));
            (upper, eta0)
        }
    };
    let recent = &counts[t + 1 - params.limit_periods..=t];
    let enough = recent.iter().all(Option::is_some)
        && recent.iter().flatten().map(|&c| u64::from(c)).sum::<u64>()
            >= u64::from(params.limit_cases);
    let threshold = if enough { upper } else { None };
    let alarm = match (counts[t], threshold) {
        (Some(y), Some(u)) => {
            let y = f64::from(y);
            (y - centre) / (u - centre) > 1.0 && y != 0.0
        }
        _ => false,
    };
    Point {
        expected: Some(mu0),
        threshold,
        alarm,
    }
}

/// The smallest `x` with `P(X <= x) >= prob` (R's fuzz of `64 eps`) for a count with mean
/// `mean` and variance `phi * mean`: negative binomial when `phi > 1`, else Poisson. The
/// probabilities are summed term by term in log space.
fn count_quantile(prob: f64, mean: f64, phi: f64) -> f64 {
    let target = prob * (1.0 - 64.0 * f64::EPSILON);
    if mean <= 0.0 {
        return 0.0;
    }
    let (mut log_pmf, size) = if phi > 1.0 {
        let size = mean / (phi - 1.0);
        (size * (1.0 / phi).ln(), size)
    } else {
        (-mean, f64::INFINITY)
    };
    let mut cdf = log_pmf.exp();
    let mut x = 0.0;
    while cdf < target {
        // pmf(x + 1) / pmf(x): mean / (x + 1) for Poisson, (x + size) / (x + 1) (1 - 1/phi)
        // for the negative binomial.
        log_pmf += if size.is_finite() {
            ((x + size) / (x + 1.0) * (1.0 - 1.0 / phi)).ln()
        } else {
            (mean / (x + 1.0)).ln()
        };
        x += 1.0;
        cdf += log_pmf.exp();
    }
    x
}

/// Two-sided p-value of Student's t: `I_{df / (df + t^2)}(df / 2, 1 / 2)`.
fn student_two_sided_p(t: f64, df: f64) -> f64 {
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The regularised incomplete beta function `I_x(a, b)` by its continued fraction
/// (Numerical Recipes, `betai`).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; reflection below 0.5).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_functions_match_closed_forms_and_r() {
        // Closed forms of Student's t for even and odd degrees of freedom:
        // 2 P(T > 2.1 | 10 df) = 0.0620772442022, 2 P(T > 1 | 3 df) = 0.3910022189558
        // (R: 2 * pt(-1, 3) = 0.3910022).
        assert!((student_two_sided_p(2.1, 10.0) - 0.062_077_244_202_2).abs() < 1e-11);
        assert!((student_two_sided_p(-1.0, 3.0) - 0.391_002_218_955_8).abs() < 1e-11);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
        // R: qpois(0.95, 10) = 15; qnbinom(0.95, size = 5, prob = 0.5) = 11 (mean 5, phi 2).
        assert_eq!(count_quantile(0.95, 10.0, 1.0), 15.0);
        assert_eq!(count_quantile(0.95, 5.0, 2.0), 11.0);
    }

    #[test]
    fn inverse_times_matrix_is_identity() {
        let a = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ];
        let inv = gauss_jordan_inverse(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((v - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        assert!(gauss_jordan_inverse(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
