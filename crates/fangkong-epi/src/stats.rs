//! Small numeric helpers shared by the modules: moments and quantiles.
//!
//! Quantiles of discrete distributions follow R's convention (`qpois`, `qnbinom`): the
//! smallest `x` with `P(X <= x) >= p`, with R's fuzz of `64 * f64::EPSILON` so that a
//! probability that is `p` up to rounding counts as reaching it.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::{gamma_lr, gamma_ur};

/// Mean and sample standard deviation (denominator `n - 1`) of at least two values, which
/// are read three times (count, sum, squares) instead of being collected.
pub(crate) fn mean_sd(values: impl Iterator<Item = f64> + Clone) -> Option<(f64, f64)> {
    let len = values.clone().count();
    if len < 2 {
        return None;
    }
    let n = len as f64;
    let mean = values.clone().sum::<f64>() / n;
    let ss: f64 = values.map(|v| (v - mean).powi(2)).sum();
    Some((mean, (ss / (n - 1.0)).sqrt()))
}

/// The `p` quantile of the standard normal distribution (R's `qnorm(p)`).
pub(crate) fn qnorm(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// `P(T > t)` for Student's t with `df` degrees of freedom; `None` when `df` is 0.
pub(crate) fn t_upper_tail(t: f64, df: f64) -> Option<f64> {
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(dist.sf(t))
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub(crate) fn qt(p: f64, df: f64) -> Option<f64> {
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(dist.inverse_cdf(p))
}

/// The `p` quantile of a gamma distribution with `shape` and `scale` (R's
/// `qgamma(p, shape, scale = scale)`), by bisection to full double precision.
pub(crate) fn qgamma(p: f64, shape: f64, scale: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let cdf = |x: f64| gamma_lr(shape, x / scale);
    let mut lo = 0.0;
    let mut hi = (shape * scale).max(scale);
    while cdf(hi) < p {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// `P(X <= x)` for a gamma distribution with `shape` and `scale`; 0 for `x <= 0`.
pub(crate) fn pgamma(x: f64, shape: f64, scale: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else {
        gamma_lr(shape, x / scale)
    }
}

/// The smallest `x` with `cdf(x) >= p` (R's discrete quantile search with its fuzz).
fn discrete_quantile(p: f64, cdf: impl Fn(u64) -> f64) -> u64 {
    let target = p * (1.0 - 64.0 * f64::EPSILON);
    if cdf(0) >= target {
        return 0;
    }
    // Invariant: cdf(lo) < target <= cdf(hi).
    let mut lo = 0u64;
    let mut hi = 1u64;
    while cdf(hi) < target {
        lo = hi;
        match hi.checked_mul(2) {
            Some(next) => hi = next,
            None => return u64::MAX,
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if cdf(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// `P(X <= x)` for a Poisson distribution with mean `mu`.
pub(crate) fn ppois(x: u64, mu: f64) -> f64 {
    if mu <= 0.0 {
        1.0
    } else {
        gamma_ur(x as f64 + 1.0, mu)
    }
}

/// The `p` quantile of a Poisson distribution with mean `mu` (R's `qpois`).
pub(crate) fn qpois(p: f64, mu: f64) -> u64 {
    discrete_quantile(p, |x| ppois(x, mu))
}

/// The `p` quantile of a negative binomial distribution with `size` and success probability
/// `prob` (R's `qnbinom(p, size, prob)`: mean `size * (1 - prob) / prob`). A size of 0 (or
/// below, or not finite) is the distribution concentrated at 0.
pub(crate) fn qnbinom(p: f64, size: f64, prob: f64) -> u64 {
    if !(size.is_finite() && size > 0.0 && prob > 0.0 && prob <= 1.0) {
        return 0;
    }
    discrete_quantile(p, |x| beta_reg(size, x as f64 + 1.0, prob))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_r() {
        // R 4.x: qnorm(0.95) = 1.644853626951472, qnorm(0.999) = 3.090232306167813.
        assert!((qnorm(0.95) - 1.644_853_626_951_472).abs() < 1e-12);
        assert!((qnorm(0.999) - 3.090_232_306_167_813).abs() < 1e-12);
        // qpois(0.95, 10) = 15: ppois(14, 10) = 0.9165, ppois(15, 10) = 0.9513.
        assert_eq!(qpois(0.95, 10.0), 15);
        assert_eq!(qpois(0.5, 0.0), 0);
        // R: qnbinom(0.95, size = 5, prob = 0.5) = 11 (mean 5, variance 10).
        assert_eq!(qnbinom(0.95, 5.0, 0.5), 11);
        // qgamma(0.5, 1, scale = 1) = log(2) (exponential median).
        assert!((qgamma(0.5, 1.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-12);
    }
}
