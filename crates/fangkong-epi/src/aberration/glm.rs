//! A quasi-Poisson GLM with log link, fitted by iteratively reweighted least squares exactly as
//! R's `glm.fit` does it, for the Farrington method.
//!
//! Same start (`mu = y + 0.1`), same convergence rule (`|dev - dev_old| / (|dev| + 0.1) <
//! 1e-8`, at most 25 iterations) and the same bookkeeping after the loop: the working weights
//! kept for the covariance, the hat values and the dispersion are those of the last weighted
//! least-squares step, as in the object `glm` returns. What it leaves out: R's step halving
//! (never needed for a Poisson log-linear model with finite counts) and rank-deficient fits,
//! which R solves by dropping columns and which count here as not converged.
//!
//! Speed (issue #9: the Farrington method fits up to four models for every point judged):
//! the loop reads the design matrix through [`Design`], so a design of an intercept, a trend
//! and level indicators costs O(rows) per iteration instead of O(rows x columns^2); its
//! buffers live in a [`Workspace`] reused from fit to fit; what the first step computes from
//! the counts alone comes in the [`Response`]. None of this changes a result: every sum adds
//! the same products in the same order as the dense formulas, so the fits are identical bit
//! for bit (the Farrington module's tests check it against the dense matrix).

// The matrix code indexes rows and columns as the formulas do; iterators would hide that.
#![allow(clippy::needless_range_loop)]

/// A fitted model.
#[derive(Debug, Clone, Default)]
pub(super) struct GlmFit {
    /// Coefficients, one per column of the design matrix.
    pub beta: Vec<f64>,
    /// Fitted means.
    pub mu: Vec<f64>,
    /// `(X' W X)^-1`, the unscaled covariance of `beta` (R's `summary(m)$cov.unscaled`).
    pub cov_unscaled: Vec<Vec<f64>>,
    /// Pearson estimate of the dispersion, `sum(w (y - mu)^2 / mu) / (n - p)` (R's
    /// `summary(m)$dispersion` for a quasi family); NaN when `n == p`.
    pub dispersion: f64,
    /// Residual degrees of freedom `n - p`.
    pub df_residual: usize,
    /// Diagonal of the hat matrix (R's `hatvalues(m)`); empty when the fit was not asked
    /// for it.
    pub hat: Vec<f64>,
}

const MAX_ITERATIONS: usize = 25;
const EPSILON: f64 = 1e-8;

/// The rows of a design matrix `X`, as the IRLS loop reads them.
///
/// An implementation for a structured design (see the Farrington module) may skip the
/// columns of a row that are 0, but must otherwise give exactly the floating-point results of
/// the dense formulas (`Dense`, in the tests): the same products, added in the same order.
/// Adding a product with a 0 column changes nothing as long as the other factor is finite,
/// which the loop checks before it relies on it (`all_finite`).
pub(super) trait Design {
    /// Number of rows (observations).
    fn rows(&self) -> usize;
    /// Number of columns (coefficients).
    fn columns(&self) -> usize;
    /// Adds every row `i` with working weight `w[i]` and working response `z[i]`, in row
    /// order, to the lower triangle of `X' W X` (row-major, `columns` by `columns`) and to
    /// `X' W z`. All weights and responses are finite.
    fn normal_equations(&self, w: &[f64], z: &[f64], xtwx: &mut [f64], xtwz: &mut [f64]);
    /// `eta = X beta` and `mu = exp(eta)` for every row.
    fn predict(&self, beta: &[f64], eta: &mut [f64], mu: &mut [f64]);
    /// `x_i' A x_i` for a row-major `columns` by `columns` matrix `A`.
    fn quadratic_form(&self, i: usize, a: &[f64]) -> f64;
    /// Row `i` with every column, into `out`.
    fn dense_row(&self, i: usize, out: &mut Vec<f64>);
    /// Whether rows repeat the same mean often enough (a design of indicators only) that the
    /// deviance should remember the terms it has computed.
    fn repeats_means(&self) -> bool {
        false
    }
}

/// A design matrix stored row by row: the specification that every [`Design`] must match,
/// used by the tests.
#[cfg(test)]
pub(super) struct Dense<'a>(pub &'a [Vec<f64>]);

#[cfg(test)]
impl Design for Dense<'_> {
    fn rows(&self) -> usize {
        self.0.len()
    }

    fn columns(&self) -> usize {
        self.0.first().map_or(0, Vec::len)
    }

    fn normal_equations(&self, w: &[f64], z: &[f64], xtwx: &mut [f64], xtwz: &mut [f64]) {
        for i in 0..self.0.len() {
            dense_row(self, i, w[i], z[i], xtwx, xtwz);
        }
    }

    fn predict(&self, beta: &[f64], eta: &mut [f64], mu: &mut [f64]) {
        for (i, row) in self.0.iter().enumerate() {
            eta[i] = dot(row, beta);
            mu[i] = eta[i].exp();
        }
    }

    fn quadratic_form(&self, i: usize, a: &[f64]) -> f64 {
        let v = &self.0[i];
        let p = v.len();
        (0..p).map(|r| v[r] * dot(&a[r * p..(r + 1) * p], v)).sum()
    }

    fn dense_row(&self, i: usize, out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(&self.0[i]);
    }
}

/// What the first IRLS step computes from a count alone (`mu = y + 0.1` as in `glm.fit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Start {
    /// `ln(y + 0.1)`, the first `eta`.
    eta: f64,
    /// `eta + (y - mu) / mu`, the first working response.
    z: f64,
    /// `y ln(y / mu)`, 0 when `y` is 0: the first deviance term.
    log_term: f64,
}

impl Start {
    /// The start values of the count `y`.
    pub fn of(y: f64) -> Start {
        let mu = y + 0.1;
        let eta = mu.ln();
        Start {
            eta,
            z: eta + (y - mu) / mu,
            log_term: log_term(y, mu),
        }
    }

    /// A value that no count has, to mark a start not yet computed.
    pub const UNKNOWN: Start = Start {
        eta: f64::NAN,
        z: f64::NAN,
        log_term: f64::NAN,
    };

    /// Whether this is [`Start::UNKNOWN`].
    pub fn is_unknown(&self) -> bool {
        self.eta.is_nan()
    }
}

/// The response of a fit with its [`Start`] values: several fits to the same counts (with
/// and without the trend, before and after reweighting) compute them once.
#[derive(Debug, Default)]
pub(super) struct Response {
    y: Vec<f64>,
    start: Vec<Start>,
}

impl Response {
    /// Empties the response.
    pub fn clear(&mut self) {
        self.y.clear();
        self.start.clear();
    }

    /// Appends `y` with its start values, `Start::of(y)`, which the caller may have looked up.
    pub fn push(&mut self, y: f64, start: Start) {
        self.y.push(y);
        self.start.push(start);
    }

    /// The counts.
    pub fn y(&self) -> &[f64] {
        &self.y
    }
}

/// Buffers of the IRLS loop, kept between fits so that a series of fits allocates once.
#[derive(Debug, Default)]
pub(super) struct Workspace {
    eta: Vec<f64>,
    weights: Vec<f64>,
    xtwx: Vec<f64>,
    xtwz: Vec<f64>,
    z: Vec<f64>,
    cov: Vec<f64>,
    l: Vec<f64>,
    inv_l: Vec<f64>,
    log_terms: LogTerms,
}

/// The deviance terms last computed, by a hash of `y`: `(y, mu, y log(y / mu))`.
#[derive(Debug, Default)]
struct LogTerms(Vec<(u64, u64, f64)>);

impl LogTerms {
    const SLOTS: usize = 64;

    /// `y log(y / mu)`, remembered for the next row with the same `y` and `mu`.
    fn get(&mut self, y: f64, mu: f64) -> f64 {
        if self.0.is_empty() {
            // A key that no computed pair has: the bits of a NaN that arithmetic never makes.
            self.0 = vec![(u64::MAX, u64::MAX, f64::NAN); Self::SLOTS];
        }
        let key = (y.to_bits(), mu.to_bits());
        let slot = &mut self.0[(y as usize) % Self::SLOTS];
        if (slot.0, slot.1) != key {
            *slot = (key.0, key.1, log_term(y, mu));
        }
        slot.2
    }
}

/// Fits `log E[y] = X beta` with prior weights `prior`; `x` has one row per observation.
/// The dense form of [`fit_quasi_poisson_into`], for the tests.
///
/// `None` when the iterations do not converge, a deviance is not finite, or `X' W X` is
/// singular.
#[cfg(test)]
pub(super) fn fit_quasi_poisson(x: &[Vec<f64>], y: &[f64], prior: &[f64]) -> Option<GlmFit> {
    let p = x.first()?.len();
    if x.iter().any(|row| row.len() != p) {
        return None;
    }
    let mut response = Response::default();
    for &v in y {
        response.push(v, Start::of(v));
    }
    let mut fit = GlmFit::default();
    let mut ws = Workspace::default();
    fit_quasi_poisson_into(&Dense(x), &response, prior, true, &mut ws, &mut fit).then_some(fit)
}

/// Fits `log E[y] = X beta` with prior weights `prior` for any [`Design`], into `fit` and
/// with the buffers of `ws`.
///
/// `false` when the iterations do not converge, a deviance is not finite, or `X' W X` is
/// singular; then `fit` holds no meaningful values. The hat values are computed only
/// `with_hat`.
pub(super) fn fit_quasi_poisson_into(
    x: &impl Design,
    response: &Response,
    prior: &[f64],
    with_hat: bool,
    ws: &mut Workspace,
    fit: &mut GlmFit,
) -> bool {
    let y = &response.y[..];
    let n = y.len();
    let p = x.columns();
    if p == 0 || n < p || x.rows() != n || prior.len() != n {
        return false;
    }
    let mu = &mut fit.mu;
    mu.clear();
    mu.extend(y.iter().map(|v| v + 0.1));
    let eta = &mut ws.eta;
    eta.clear();
    eta.extend(response.start.iter().map(|s| s.eta));
    let weights = &mut ws.weights;
    weights.clear();
    weights.resize(n, 0.0);
    let beta = &mut fit.beta;
    beta.clear();
    beta.resize(p, 0.0);
    let mut dev_old = deviance_from_start(&response.start, y, mu, prior);
    let mut converged = false;
    for iteration in 0..MAX_ITERATIONS {
        // Working weights and response of the log link with variance mu, added up into the
        // normal equations row by row.
        ws.xtwx.clear();
        ws.xtwx.resize(p * p, 0.0);
        ws.xtwz.clear();
        ws.xtwz.resize(p, 0.0);
        let z = &mut ws.z;
        z.clear();
        if iteration == 0 {
            z.extend(response.start.iter().map(|s| s.z));
        } else {
            z.extend((0..n).map(|i| eta[i] + (y[i] - mu[i]) / mu[i]));
        }
        for ((w, p), m) in weights.iter_mut().zip(prior).zip(mu.iter()) {
            *w = p * m;
        }
        if all_finite(weights) && all_finite(z) {
            x.normal_equations(weights, z, &mut ws.xtwx, &mut ws.xtwz);
        } else {
            // A 0 column times an infinite factor is NaN in the dense formula: keep it.
            for i in 0..n {
                dense_row(x, i, weights[i], z[i], &mut ws.xtwx, &mut ws.xtwz);
            }
        }
        for a in 0..p {
            for b in 0..a {
                ws.xtwx[b * p + a] = ws.xtwx[a * p + b];
            }
        }
        if !invert_spd(&ws.xtwx, p, &mut ws.l, &mut ws.inv_l, &mut ws.cov) {
            return false;
        }
        let (cov, xtwz) = (&ws.cov, &ws.xtwz);
        for (a, b) in beta.iter_mut().enumerate() {
            *b = (0..p).map(|c| cov[a * p + c] * xtwz[c]).sum();
        }
        if all_finite(beta) {
            x.predict(beta, eta, mu);
        } else {
            dense_predict(x, beta, eta, mu);
        }
        let dev = if x.repeats_means() {
            let cache = &mut ws.log_terms;
            let terms = (0..n).map(|i| prior[i] * (cache.get(y[i], mu[i]) - (y[i] - mu[i])));
            2.0 * terms.sum::<f64>()
        } else {
            deviance(y, mu, prior)
        };
        if !dev.is_finite() {
            return false;
        }
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < EPSILON {
            converged = true;
            break;
        }
        dev_old = dev;
    }
    if !converged {
        return false;
    }
    let df_residual = n - p;
    let pearson: f64 = (0..n)
        .map(|i| weights[i] * ((y[i] - mu[i]) / mu[i]).powi(2))
        .sum();
    fit.dispersion = if df_residual > 0 {
        pearson / df_residual as f64
    } else {
        f64::NAN
    };
    fit.df_residual = df_residual;
    let cov = &ws.cov;
    fit.hat.clear();
    if with_hat {
        let finite = all_finite(cov);
        fit.hat.extend((0..n).map(|i| {
            let q = if finite {
                x.quadratic_form(i, cov)
            } else {
                dense_quadratic_form(x, i, cov)
            };
            weights[i] * q
        }));
    }
    fit.cov_unscaled.resize_with(p, Vec::new);
    for (a, row) in fit.cov_unscaled.iter_mut().enumerate() {
        row.clear();
        row.extend_from_slice(&cov[a * p..(a + 1) * p]);
    }
    true
}

fn all_finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Row `i` of `x` as a dense vector, for the rare non-finite path where speed does not
/// matter.
fn dense_row_values(x: &impl Design, i: usize) -> Vec<f64> {
    let mut row = Vec::new();
    x.dense_row(i, &mut row);
    row
}

fn dense_row(x: &impl Design, i: usize, w: f64, z: f64, xtwx: &mut [f64], xtwz: &mut [f64]) {
    let row = dense_row_values(x, i);
    let p = row.len();
    for a in 0..p {
        let wa = w * row[a];
        xtwz[a] += wa * z;
        for b in 0..=a {
            xtwx[a * p + b] += wa * row[b];
        }
    }
}

fn dense_predict(x: &impl Design, beta: &[f64], eta: &mut [f64], mu: &mut [f64]) {
    for i in 0..x.rows() {
        let row = dense_row_values(x, i);
        eta[i] = dot(&row, beta);
        mu[i] = eta[i].exp();
    }
}

fn dense_quadratic_form(x: &impl Design, i: usize, a: &[f64]) -> f64 {
    let v = dense_row_values(x, i);
    let p = v.len();
    (0..p).map(|r| v[r] * dot(&a[r * p..(r + 1) * p], &v)).sum()
}

/// `y log(y / mu)`, with `0 log 0 = 0`.
fn log_term(y: f64, mu: f64) -> f64 {
    if y > 0.0 {
        y * (y / mu).ln()
    } else {
        0.0
    }
}

/// Poisson deviance `2 sum w (y log(y / mu) - (y - mu))`, with `0 log 0 = 0`.
fn deviance(y: &[f64], mu: &[f64], prior: &[f64]) -> f64 {
    2.0 * y
        .iter()
        .zip(mu)
        .zip(prior)
        .map(|((&y, &mu), &w)| w * (log_term(y, mu) - (y - mu)))
        .sum::<f64>()
}

/// [`deviance`] at the start, with the terms `y log(y / mu)` of `start`.
fn deviance_from_start(start: &[Start], y: &[f64], mu: &[f64], prior: &[f64]) -> f64 {
    2.0 * start
        .iter()
        .zip(y)
        .zip(mu)
        .zip(prior)
        .map(|(((s, &y), &mu), &w)| w * (s.log_term - (y - mu)))
        .sum::<f64>()
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `v' A v`.
pub(super) fn quadratic_form(a: &[Vec<f64>], v: &[f64]) -> f64 {
    a.iter().zip(v).map(|(row, vi)| vi * dot(row, v)).sum()
}

/// Inverse of a symmetric positive definite `p` by `p` matrix (row-major) by Cholesky
/// decomposition, into `inv`; `false` when a pivot is not clearly positive (relative tolerance
/// 1e-10, of the order of R's QR tolerance 1e-11 on the square-root scale). `l` and `inv_l`
/// are scratch space.
fn invert_spd(
    a: &[f64],
    p: usize,
    l: &mut Vec<f64>,
    inv_l: &mut Vec<f64>,
    inv: &mut Vec<f64>,
) -> bool {
    for m in [&mut *l, &mut *inv_l, &mut *inv] {
        m.clear();
        m.resize(p * p, 0.0);
    }
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= l[j * p + k] * l[j * p + k];
        }
        if !d.is_finite() || d <= 1e-10 * a[j * p + j].abs() {
            return false;
        }
        let root = d.sqrt();
        l[j * p + j] = root;
        for i in (j + 1)..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            l[i * p + j] = s / root;
        }
    }
    // Invert L (lower triangular), then A^-1 = L^-T L^-1.
    for i in 0..p {
        inv_l[i * p + i] = 1.0 / l[i * p + i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i * p + k] * inv_l[k * p + j]).sum();
            inv_l[i * p + j] = -s / l[i * p + i];
        }
    }
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (i..p).map(|k| inv_l[k * p + i] * inv_l[k * p + j]).sum();
            inv[i * p + j] = s;
            inv[j * p + i] = s;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_only_fit_is_the_mean_with_pearson_dispersion() {
        // Poisson MLE of a constant mean is the sample mean: y = 2, 4, 9 gives mu = 5.
        // Pearson: ((2-5)^2 + (4-5)^2 + (9-5)^2) / 5 / (3 - 1) = 26 / 10 = 2.6.
        // cov_unscaled = 1 / sum(mu) = 1 / 15; hat = mu / sum(mu) = 1/3 each. These use the
        // weights of the last iteration, as R's glm does, so they agree to the convergence
        // tolerance only.
        let x = vec![vec![1.0]; 3];
        let fit = fit_quasi_poisson(&x, &[2.0, 4.0, 9.0], &[1.0; 3]).unwrap();
        assert!((fit.beta[0] - 5f64.ln()).abs() < 1e-9);
        assert!((fit.dispersion - 2.6).abs() < 1e-6);
        assert!((fit.cov_unscaled[0][0] - 1.0 / 15.0).abs() < 1e-6);
        assert!(fit.hat.iter().all(|h| (h - 1.0 / 3.0).abs() < 1e-6));
        assert_eq!(fit.df_residual, 2);
    }

    #[test]
    fn prior_weights_give_the_weighted_mean() {
        // Weighted Poisson MLE of a constant: sum(w y) / sum(w) = (1*2 + 3*6) / 4 = 5.
        let x = vec![vec![1.0]; 2];
        let fit = fit_quasi_poisson(&x, &[2.0, 6.0], &[1.0, 3.0]).unwrap();
        assert!((fit.mu[0] - 5.0).abs() < 1e-9);
    }

    #[test]
    fn exact_log_linear_data_is_recovered() {
        // y = exp(1 + 0.1 t) lies on the model, so the MLE is the truth and the dispersion 0.
        let x: Vec<Vec<f64>> = (0..10).map(|t| vec![1.0, f64::from(t)]).collect();
        let y: Vec<f64> = (0..10).map(|t| (1.0 + 0.1 * f64::from(t)).exp()).collect();
        let fit = fit_quasi_poisson(&x, &y, &[1.0; 10]).unwrap();
        assert!((fit.beta[0] - 1.0).abs() < 1e-7);
        assert!((fit.beta[1] - 0.1).abs() < 1e-8);
        assert!(fit.dispersion < 1e-12);
    }

    #[test]
    fn collinear_columns_are_refused() {
        let x = vec![vec![1.0, 2.0]; 4];
        assert!(fit_quasi_poisson(&x, &[1.0, 2.0, 3.0, 4.0], &[1.0; 4]).is_none());
    }
}
