//! Aberration detection: is this week's (or today's) count unusually high?
//!
//! Why it exists: the command platform watches thousands of series (one per jurisdiction and
//! syndrome) and must flag the few that rise above their own history. The methods and their
//! defaults are those of the R package `surveillance` (Salmon, Schumacher & Höhle 2016, JSS
//! 70(10)), so that an epidemiologist can check an alarm against the reference implementation:
//!
//! - [`ears`](mod@ears): EARS C1, C2 and C3 (Hutwagner et al. 2003; `surveillance::earsC`),
//!   for short histories;
//! - [`cusum`](mod@cusum): the Poisson CUSUM of `surveillance::algo.cusum` (Rossi et al. 1999);
//! - [`farrington`](mod@farrington): the improved Farrington method (Noufaily et al. 2013;
//!   `surveillance::farringtonFlexible`), for series with years of history.
//!
//! The method modules document each algorithm and where it departs from the package; their
//! items are re-exported here. Every method takes a [`Series`] and returns one [`Evaluation`]
//! per time point that it can judge, in time order. [`evaluate_batch`] runs one method over
//! many series in parallel.
//!
//! What it must not do: read the clock, the environment or a file, or decide what an alarm
//! means for the people concerned. It computes; the caller acts.

pub mod cusum;
pub mod ears;
pub mod farrington;
mod glm;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::{EpiError, Series};

pub use cusum::{cusum, CusumParams};
pub use ears::{ears, EarsParams, EarsVariant};
pub use farrington::{farrington, FarringtonParams, PowerTransform, ThresholdMethod};

/// The verdict of a method on one time point.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Index of the point in the series.
    pub index: usize,
    /// Date of the point.
    pub date: NaiveDate,
    /// The count, `None` when missing.
    pub observed: Option<u32>,
    /// What the method expected, `None` when it could not tell.
    pub expected: Option<f64>,
    /// The upper bound: counts above it (CUSUM: at or above it) raise an alarm. `None` when
    /// the method gives no bound for this point; the method's docs say when.
    pub threshold: Option<f64>,
    /// Whether the point is an aberration. Never true when `observed` is `None`.
    pub alarm: bool,
}

/// The methods by name, as a user or an API request names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// EARS C1: baseline of the 7 previous points.
    EarsC1,
    /// EARS C2: baseline of 7 points with a lag of 2.
    EarsC2,
    /// EARS C3: C2 summed over the current and 2 previous points.
    EarsC3,
    /// Poisson CUSUM.
    Cusum,
    /// Improved Farrington.
    Farrington,
}

impl Method {
    /// Every method, in the order of their names in [`Method::parse`].
    pub const ALL: [Method; 5] = [
        Method::EarsC1,
        Method::EarsC2,
        Method::EarsC3,
        Method::Cusum,
        Method::Farrington,
    ];

    /// Parses `ears-c1`, `ears-c2`, `ears-c3`, `cusum` or `farrington` (ASCII case ignored).
    ///
    /// # Errors
    ///
    /// [`EpiError::UnknownMethod`] for any other name.
    ///
    /// # Examples
    ///
    /// ```
    /// use fangkong_epi::aberration::Method;
    /// assert_eq!(Method::parse("ears-c2").unwrap(), Method::EarsC2);
    /// assert!(Method::parse("shewhart").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Method, EpiError> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| EpiError::UnknownMethod(name.to_owned()))
    }

    /// The name that [`Method::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::EarsC1 => "ears-c1",
            Method::EarsC2 => "ears-c2",
            Method::EarsC3 => "ears-c3",
            Method::Cusum => "cusum",
            Method::Farrington => "farrington",
        }
    }

    /// The method with its package defaults.
    pub fn detector(self) -> Detector {
        match self {
            Method::EarsC1 => Detector::Ears(EarsParams::new(EarsVariant::C1)),
            Method::EarsC2 => Detector::Ears(EarsParams::new(EarsVariant::C2)),
            Method::EarsC3 => Detector::Ears(EarsParams::new(EarsVariant::C3)),
            Method::Cusum => Detector::Cusum(CusumParams::default()),
            Method::Farrington => Detector::Farrington(FarringtonParams::default()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = EpiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::parse(s)
    }
}

/// A method together with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Detector {
    /// EARS C1, C2 or C3.
    Ears(EarsParams),
    /// Poisson CUSUM.
    Cusum(CusumParams),
    /// Improved Farrington.
    Farrington(FarringtonParams),
}

impl Detector {
    /// Evaluates every point of `series` that the method can judge.
    ///
    /// # Errors
    ///
    /// As the method's function: [`ears()`], [`cusum()`] or [`farrington()`].
    pub fn evaluate(&self, series: &Series) -> Result<Vec<Evaluation>, EpiError> {
        match self {
            Detector::Ears(params) => ears(series, params),
            Detector::Cusum(params) => cusum(series, params),
            Detector::Farrington(params) => farrington(series, params),
        }
    }
}

impl From<Method> for Detector {
    fn from(method: Method) -> Self {
        method.detector()
    }
}

/// Evaluates many series with one detector, in parallel on the rayon pool.
///
/// The result has one entry per series, in the input order; a series that fails (too short,
/// for example) does not stop the others. The output does not depend on the number of threads.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use fangkong_epi::aberration::{evaluate_batch, Method};
/// use fangkong_epi::{Frequency, Series};
/// let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let quiet = Series::from_counts(start, Frequency::Daily, &[3, 4, 3, 5, 4, 3, 4, 4]).unwrap();
/// let short = Series::from_counts(start, Frequency::Daily, &[3, 4]).unwrap();
/// let results = evaluate_batch(&Method::EarsC1.detector(), &[quiet, short]);
/// assert_eq!(results[0].as_ref().unwrap().len(), 1);
/// assert!(results[1].is_err());
/// ```
pub fn evaluate_batch(
    detector: &Detector,
    series: &[Series],
) -> Vec<Result<Vec<Evaluation>, EpiError>> {
    series.par_iter().map(|s| detector.evaluate(s)).collect()
}

/// The date of point `index`, which [`Series::new`] has checked to be representable.
fn date_of(series: &Series, index: usize) -> NaiveDate {
    series.date(index).unwrap_or(NaiveDate::MAX)
}

/// The dates of the points from `from` to the end, each computed from the one before (one
/// short step of the calendar instead of a long one from the start).
fn dates_from(series: &Series, from: usize) -> impl Iterator<Item = NaiveDate> {
    let step = chrono::Days::new(series.frequency().days());
    let first = date_of(series, from);
    (from..series.len()).scan(first, move |date, _| {
        let this = *date;
        *date = date.checked_add_days(step).unwrap_or(NaiveDate::MAX);
        Some(this)
    })
}

/// Converts an optional count to `f64`.
fn as_f64(count: Option<u32>) -> Option<f64> {
    count.map(f64::from)
}
