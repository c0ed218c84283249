//! Epidemiological statistics for the command platform: aberration detection, the
//! reproduction number and its projections, pooled testing, and capacity forecasts.
//!
//! Why it exists: these are the numbers behind an alarm on the dashboard, an Rt in the daily
//! briefing and the pool size of a testing round. Each follows a published method, and its
//! tests reproduce published or hand-derived values, so that an epidemiologist can check
//! them.
//!
//! - [`aberration`]: EARS C1–C3, Poisson CUSUM and the improved Farrington method over a dated
//!   [`Series`], one [`aberration::Evaluation`] per time point, in batch with rayon.
//! - [`rt`]: the instantaneous reproduction number of Cori et al. 2013 (EpiEstim), the
//!   doubling time and a 14-day renewal-equation forecast.
//! - [`pooling`]: two-stage Dorfman pooling with imperfect tests.
//! - [`chains`]: transmission chains: clusters, generations and serial intervals of a
//!   forest of infector-infectee links.
//! - [`capacity`]: a pool of quarantine rooms or hospital beds over the next days (arrivals,
//!   departures, cleaning) and the first day it runs out; a trend of recent arrivals.
//!
//! What it must not do: read the clock, the environment or a file, touch a database or the
//! network, or draw random numbers. Everything is a function of its arguments; the error
//! type is [`EpiError`], except that chain validation has its own [`chains::ChainError`].
//!
//! ```
//! use chrono::NaiveDate;
//! use fangkong_epi::aberration::Method;
//! use fangkong_epi::{Frequency, Series};
//! let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
//! let series = Series::from_counts(start, Frequency::Daily, &[2, 4, 2, 4, 2, 4, 2, 9]).unwrap();
//! let out = Method::parse("ears-c1").unwrap().detector().evaluate(&series).unwrap();
//! assert!(out[0].alarm);
//! ```

pub mod aberration;
pub mod capacity;
pub mod chains;
mod error;
pub mod pooling;
pub mod rt;
mod series;
mod stats;

pub use error::EpiError;
pub use series::{Frequency, Series};
