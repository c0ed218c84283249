//! Two-stage Dorfman pooling: test pools of `k` samples, retest every member of a positive
//! pool individually.
//!
//! Why it exists: a testing round has to choose a pool size (混检 "10 in 1" or "20 in 1")
//! from the expected prevalence and the assay's accuracy; this module gives the expected
//! number of tests per person and the best pool size.
//!
//! The expected number of tests per person with pools of `k >= 2` is
//! `E(k) = 1/k + Se - (Se + Sp - 1)(1 - p)^k`: one pool test shared by `k` people, plus `k`
//! retests when the pool tests positive, which happens with probability
//! `Se (1 - (1 - p)^k) + (1 - Sp)(1 - p)^k`. This is Dorfman's (1943) formula generalised to
//! an imperfect assay (Kim, Hudgens, Dreyfuss, Westreich & Pilcher 2007, Biometrics 63(4),
//! eq. for two-stage hierarchical testing; Aprahamian, Bish & Bish 2019). With perfect tests
//! (`Se = Sp = 1`) it is Dorfman's `1/k + 1 - (1 - p)^k`. It assumes that pooling does not
//! dilute a positive sample (the pool's sensitivity is the individual test's) and that
//! infections are independent. `k = 1` is individual testing: one test per person.
//!
//! What it must not do: decide the pool size on its own; a laboratory limit on `k` (dilution)
//! is the caller's `max_k`.

use crate::error::{at_least, closed_unit};
use crate::EpiError;

/// The largest pool size that [`optimal_pool_size`] considers unless told otherwise.
pub const DEFAULT_MAX_POOL_SIZE: u32 = 20;

/// Expected tests per person of two-stage Dorfman pooling with pools of `k`.
///
/// `p` is the prevalence, `sensitivity` and `specificity` those of the assay. `k = 1` gives 1.
///
/// # Errors
///
/// [`EpiError::InvalidParameter`] when `k` is 0 or a probability is outside [0, 1].
///
/// # Examples
///
/// ```
/// use fangkong_epi::pooling::expected_tests_per_person;
/// // Dorfman 1943: 1% prevalence, pools of 11, perfect tests: 1/11 + 1 - 0.99^11.
/// let e = expected_tests_per_person(11, 0.01, 1.0, 1.0).unwrap();
/// assert!((e - 0.195571).abs() < 1e-6);
/// ```
pub fn expected_tests_per_person(
    k: u32,
    p: f64,
    sensitivity: f64,
    specificity: f64,
) -> Result<f64, EpiError> {
    at_least("k", k as usize, 1, "a pool size of at least 1")?;
    closed_unit("p", p)?;
    closed_unit("sensitivity", sensitivity)?;
    closed_unit("specificity", specificity)?;
    if k == 1 {
        return Ok(1.0);
    }
    let negative_pool = (1.0 - p).powi(k as i32);
    Ok(1.0 / f64::from(k) + sensitivity - (sensitivity + specificity - 1.0) * negative_pool)
}

/// The pool size in `1..=max_k` with the fewest expected tests per person, and that number.
///
/// Ties go to the smaller pool. Returns `(1, 1.0)` when pooling does not pay, for example at
/// a prevalence above about 30% (Dorfman's break-even with perfect tests).
///
/// # Errors
///
/// [`EpiError::InvalidParameter`] when `max_k` is 0 or a probability is outside [0, 1].
///
/// # Examples
///
/// ```
/// use fangkong_epi::pooling::{optimal_pool_size, DEFAULT_MAX_POOL_SIZE};
/// let (k, e) = optimal_pool_size(0.05, 1.0, 1.0, DEFAULT_MAX_POOL_SIZE).unwrap();
/// assert_eq!(k, 5);
/// assert!((e - 0.426219).abs() < 1e-6);
/// ```
pub fn optimal_pool_size(
    p: f64,
    sensitivity: f64,
    specificity: f64,
    max_k: u32,
) -> Result<(u32, f64), EpiError> {
    at_least("max_k", max_k as usize, 1, "a pool size of at least 1")?;
    let mut best = (
        1,
        expected_tests_per_person(1, p, sensitivity, specificity)?,
    );
    for k in 2..=max_k {
        let e = expected_tests_per_person(k, p, sensitivity, specificity)?;
        if e < best.1 {
            best = (k, e);
        }
    }
    Ok(best)
}

/// Tested pools of one size: how many, and how many were positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolCounts {
    pub pool_size: u32,
    pub pools: u64,
    pub positive: u64,
}

/// Maximum-likelihood prevalence from pooled results with a perfect assay.
///
/// A pool of `k` is negative with probability `(1 - p)^k`, so with one pool size the
/// estimate is Thompson's (1962, Biometrics 18(4)) closed form `1 - (1 - x/n)^(1/k)` for `x`
/// positive pools out of `n`. With several sizes the log-likelihood
/// `sum x_k ln(1 - (1 - p)^k) + (n_k - x_k) k ln(1 - p)` is concave in `p` and its maximum
/// is found by bisection on the derivative. Returns `None` without any pool, 0 without any
/// positive pool and 1 when every pool is positive.
pub fn estimate_prevalence(counts: &[PoolCounts]) -> Option<f64> {
    let counts: Vec<&PoolCounts> = counts.iter().filter(|c| c.pools > 0).collect();
    if counts.is_empty() {
        return None;
    }
    if counts.iter().all(|c| c.positive == 0) {
        return Some(0.0);
    }
    if counts.iter().all(|c| c.positive >= c.pools) {
        return Some(1.0);
    }
    if let [c] = counts.as_slice() {
        let negative_share = 1.0 - c.positive as f64 / c.pools as f64;
        return Some(1.0 - negative_share.powf(1.0 / f64::from(c.pool_size)));
    }
    let mut lo = 1e-15_f64;
    let mut hi = 1.0 - 1e-15;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if score(&counts, mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The derivative of the pooled log-likelihood at `p` (decreasing in `p`).
fn score(counts: &[&PoolCounts], p: f64) -> f64 {
    counts
        .iter()
        .map(|c| {
            let k = f64::from(c.pool_size);
            let negative = (1.0 - p).powf(k);
            c.positive as f64 * k * (1.0 - p).powf(k - 1.0) / (1.0 - negative)
                - (c.pools - c.positive) as f64 * k / (1.0 - p)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prevalence_of_one_pool_size_is_thompsons_closed_form() {
        // 3 positive pools of 10 out of 1000: 1 - (1 - 0.003)^(1/10).
        let c = PoolCounts {
            pool_size: 10,
            pools: 1000,
            positive: 3,
        };
        let p = estimate_prevalence(&[c]).unwrap();
        assert!((p - (1.0 - 0.997_f64.powf(0.1))).abs() < 1e-15, "{p}");
        assert!((p - 0.000_300_405_6).abs() < 1e-9, "{p}");
    }

    #[test]
    fn prevalence_of_mixed_sizes_is_the_root_of_the_score() {
        let counts = [
            PoolCounts {
                pool_size: 10,
                pools: 500,
                positive: 2,
            },
            PoolCounts {
                pool_size: 20,
                pools: 250,
                positive: 2,
            },
        ];
        let p = estimate_prevalence(&counts).unwrap();
        let refs: Vec<&PoolCounts> = counts.iter().collect();
        assert!(score(&refs, p).abs() < 1e-6);
        // Between the one-size estimates of each group (0.000401 and 0.000401...0.000402).
        let ten = 1.0 - (1.0 - 2.0 / 500.0_f64).powf(0.1);
        let twenty = 1.0 - (1.0 - 2.0 / 250.0_f64).powf(0.05);
        assert!(
            p >= ten.min(twenty) && p <= ten.max(twenty),
            "{p} {ten} {twenty}"
        );
        assert_eq!(estimate_prevalence(&[]), None);
        let none = PoolCounts {
            pool_size: 10,
            pools: 5,
            positive: 0,
        };
        assert_eq!(estimate_prevalence(&[none]), Some(0.0));
    }
}
