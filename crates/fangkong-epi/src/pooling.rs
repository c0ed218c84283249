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
