//! A quasi-Poisson GLM with log link, fitted by iteratively reweighted least squares exactly as
//! R's `glm.fit` does it, for the Farrington method.
//!
//! Same start (`mu = y + 0.1`), same convergence rule (`|dev - dev_old| / (|dev| + 0.1) <
//! 1e-8`, at most 25 iterations) and the same bookkeeping after the loop: the working weights
//! kept for the covariance, the hat values and the dispersion are those of the last weighted
//! least-squares step, as in the object `glm` returns. What it leaves out: R's step halving
//! (never needed for a Poisson log-linear model with finite counts) and rank-deficient fits,
//! which R solves by dropping columns and which count here as not converged.

// The matrix code indexes rows and columns as the formulas do; iterators would hide that.
#![allow(clippy::needless_range_loop)]

/// A fitted model.
#[derive(Debug, Clone)]
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
    /// Diagonal of the hat matrix (R's `hatvalues(m)`).
    pub hat: Vec<f64>,
}

const MAX_ITERATIONS: usize = 25;
const EPSILON: f64 = 1e-8;

/// Fits `log E[y] = X beta` with prior weights `prior`; `x` has one row per observation.
///
/// `None` when the iterations do not converge, a deviance is not finite, or `X' W X` is
/// singular.
pub(super) fn fit_quasi_poisson(x: &[Vec<f64>], y: &[f64], prior: &[f64]) -> Option<GlmFit> {
    let n = y.len();
    let p = x.first()?.len();
    if n < p || x.len() != n || prior.len() != n {
        return None;
    }
    let mut mu: Vec<f64> = y.iter().map(|v| v + 0.1).collect();
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut dev_old = deviance(y, &mu, prior);
    let mut converged = false;
    let mut beta = vec![0.0; p];
    let mut weights = vec![0.0; n];
    let mut cov = Vec::new();
    for _ in 0..MAX_ITERATIONS {
        // Working weights and response of the log link with variance mu.
        for i in 0..n {
            weights[i] = prior[i] * mu[i];
        }
        let z: Vec<f64> = (0..n).map(|i| eta[i] + (y[i] - mu[i]) / mu[i]).collect();
        let (xtwx, xtwz) = normal_equations(x, &weights, &z, p);
        cov = invert_spd(&xtwx)?;
        beta = (0..p)
            .map(|a| (0..p).map(|b| cov[a][b] * xtwz[b]).sum())
            .collect();
        for i in 0..n {
            eta[i] = dot(&x[i], &beta);
            mu[i] = eta[i].exp();
        }
        let dev = deviance(y, &mu, prior);
        if !dev.is_finite() {
            return None;
        }
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < EPSILON {
            converged = true;
            break;
        }
        dev_old = dev;
    }
    if !converged {
        return None;
    }
    let df_residual = n - p;
    let pearson: f64 = (0..n)
        .map(|i| weights[i] * ((y[i] - mu[i]) / mu[i]).powi(2))
        .sum();
    let dispersion = if df_residual > 0 {
        pearson / df_residual as f64
    } else {
        f64::NAN
    };
    let hat = (0..n)
        .map(|i| weights[i] * quadratic_form(&cov, &x[i]))
        .collect();
    Some(GlmFit {
        beta,
        mu,
        cov_unscaled: cov,
        dispersion,
        df_residual,
        hat,
    })
}

/// Poisson deviance `2 sum w (y log(y / mu) - (y - mu))`, with `0 log 0 = 0`.
fn deviance(y: &[f64], mu: &[f64], prior: &[f64]) -> f64 {
    2.0 * y
        .iter()
        .zip(mu)
        .zip(prior)
        .map(|((&y, &mu), &w)| {
            let log_term = if y > 0.0 { y * (y / mu).ln() } else { 0.0 };
            w * (log_term - (y - mu))
        })
        .sum::<f64>()
}

fn normal_equations(x: &[Vec<f64>], w: &[f64], z: &[f64], p: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut xtwx = vec![vec![0.0; p]; p];
    let mut xtwz = vec![0.0; p];
    for ((row, &wi), &zi) in x.iter().zip(w).zip(z) {
        for a in 0..p {
            let wa = wi * row[a];
            xtwz[a] += wa * zi;
            for b in 0..=a {
                xtwx[a][b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            xtwx[b][a] = xtwx[a][b];
        }
    }
    (xtwx, xtwz)
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `v' A v`.
pub(super) fn quadratic_form(a: &[Vec<f64>], v: &[f64]) -> f64 {
    a.iter().zip(v).map(|(row, vi)| vi * dot(row, v)).sum()
}

/// Inverse of a symmetric positive definite matrix by Cholesky decomposition; `None` when a
/// pivot is not clearly positive (relative tolerance 1e-10, of the order of R's QR tolerance
/// 1e-11 on the square-root scale).
fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for j in 0..p {
        let mut d = a[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        if !d.is_finite() || d <= 1e-10 * a[j][j].abs() {
            return None;
        }
        let root = d.sqrt();
        l[j][j] = root;
        for i in (j + 1)..p {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            l[i][j] = s / root;
        }
    }
    // Invert L (lower triangular), then A^-1 = L^-T L^-1.
    let mut inv_l = vec![vec![0.0; p]; p];
    for i in 0..p {
        inv_l[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * inv_l[k][j]).sum();
            inv_l[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (i..p).map(|k| inv_l[k][i] * inv_l[k][j]).sum();
            inv[i][j] = s;
            inv[j][i] = s;
        }
    }
    Some(inv)
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
