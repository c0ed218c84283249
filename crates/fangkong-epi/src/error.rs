//! The one error type of the crate.

/// What went wrong in a computation of this crate.
///
/// Messages name the parameter or the amount of data that is wrong, in lowercase and without a
/// trailing period. They never contain case data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EpiError {
    /// A series is too short for the method: `needed` points are required before the first
    /// point can be evaluated (that point included).
    #[error("{method} needs at least {needed} time points, found {found}")]
    TooShort {
        method: &'static str,
        needed: usize,
        found: usize,
    },
    /// A numeric parameter is outside its domain.
    #[error("{name} is {value}, expected {expected}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// A method name that [`crate::aberration::Method::parse`] does not know.
    #[error("unknown method {0:?}, expected one of ears-c1, ears-c2, ears-c3, cusum, farrington")]
    UnknownMethod(String),
    /// The dates of a series run past the range of `chrono::NaiveDate`.
    #[error("a series of {len} points starting on {start} runs past the last representable date")]
    DateOutOfRange {
        start: chrono::NaiveDate,
        len: usize,
    },
    /// CUSUM's reference mean is zero, so the Poisson standardisation divides by zero.
    #[error(
        "cusum reference mean is 0 (no cases in the {baseline} baseline points); give m explicitly"
    )]
    ZeroReferenceMean { baseline: usize },
    /// A log-linear fit met a count of zero, whose logarithm does not exist.
    #[error("count at index {index} is 0; a log-linear growth fit needs positive counts")]
    ZeroCount { index: usize },
    /// A serial interval distribution that is not a probability distribution on 1, 2, ...
    #[error("serial interval distribution is invalid: {0}")]
    InvalidSerialInterval(&'static str),
    /// Two series that must cover the same days have different lengths.
    #[error("{name} covers {found} days, expected {expected}")]
    LengthMismatch {
        name: &'static str,
        found: usize,
        expected: usize,
    },
    /// More departures are planned than units are occupied.
    #[error("planned releases total {releases}, more than the {occupied} occupied units")]
    ReleasesExceedOccupied { releases: u64, occupied: u32 },
    /// More units are occupied or being cleaned than the pool has.
    #[error("{in_use} units occupied or being cleaned, more than the capacity of {capacity}")]
    OverCapacity { in_use: u64, capacity: u32 },
}

/// Checks that `value` lies in the open interval (0, 1).
pub(crate) fn open_unit(name: &'static str, value: f64) -> Result<f64, EpiError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(EpiError::InvalidParameter {
            name,
            value,
            expected: "a probability strictly between 0 and 1",
        })
    }
}

/// Checks that `value` lies in the closed interval [0, 1].
pub(crate) fn closed_unit(name: &'static str, value: f64) -> Result<f64, EpiError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(EpiError::InvalidParameter {
            name,
            value,
            expected: "a probability between 0 and 1",
        })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, EpiError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(EpiError::InvalidParameter {
            name,
            value,
            expected: "a finite number greater than 0",
        })
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, EpiError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(EpiError::InvalidParameter {
            name,
            value,
            expected: "a finite number of at least 0",
        })
    }
}

/// Checks that a count parameter is at least `min`.
pub(crate) fn at_least(
    name: &'static str,
    value: usize,
    min: usize,
    expected: &'static str,
) -> Result<usize, EpiError> {
    if value >= min {
        Ok(value)
    } else {
        Err(EpiError::InvalidParameter {
            name,
            value: value as f64,
            expected,
        })
    }
}
