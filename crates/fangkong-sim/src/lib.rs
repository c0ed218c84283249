//! Agent-based outbreak simulator over a synthetic city (issue #12).
//!
//! Why it exists: forecasts from the platform's current state and drills (simulated sentinel
//! reports, test results and traveller lists fed into a sandbox) need a realistic outbreak
//! in a city of millions: people in households, school classes, workplace teams and venues,
//! an Omicron-like natural history, vaccination, and the response (testing rounds with
//! pooling, isolation of cases, quarantine of contacts, venue closure, lockdown of risk
//! areas, school closure).
//!
//! How it is used:
//! - [`Population`]: plain data, person `i` with age, household, school, workplace,
//!   community (and so county) and vaccine doses. The bench and the drills build it from
//!   `fangkong-synth`'s city; the platform can build it from its registry.
//! - [`Scenario`]: disease, contact layers, the routine [`Response`] and [`Intervention`]s
//!   scheduled by day; `serde` with defaults, so a TOML or JSON file names only what
//!   it changes. The defaults are Omicron BA.2-like, sources in [`params`].
//! - [`InitialState`]: people infected, in isolation, in quarantine on day 0.
//! - [`Simulation`]: `new`, then `step()` one day at a time (a stepped clock: a drill can
//!   feed each day's events as it goes) or `run(days)`. Each day gives a [`DayReport`] of
//!   [`Counts`] by county; with `record_events(true)` also [`Event`]s `(day, person, kind)`.
//!   [`output`] documents the structure.
//!
//! Model, in short: states susceptible, latent, presymptomatic, symptomatic, asymptomatic,
//! severe (admitted: found, no longer transmitting), recovered; durations drawn per person
//! and rounded to days; transmission per contact and day with a layer's probability times
//! the infector's infectiousness, accepted with the target's susceptibility (age, doses).
//! Daily steps: timed transitions first, then transmission, then the response.
//!
//! Validation ([`theory`] and `tests/it/validation.rs`): under homogeneous mixing the final
//! attack rate matches the SEIR final-size equation `z = 1 - exp(-R0 z)` within 2% for
//! R0 = 1.5, 2 and 3, and the early growth rate matches the discrete Euler-Lotka equation
//! of the model's generation interval (Wallinga and Lipsitch 2007).
//!
//! What it must not do: read the clock, the environment or files. The output is a function
//! of (population, scenario, initial state, seed), whatever the number of threads; it uses
//! all of rayon's threads.

pub mod drill;
pub mod output;
pub mod params;
mod population;
mod rng;
mod sim;
pub mod theory;

pub use output::{Counts, DayReport, Event, EventKind, Output, Route};
pub use params::{Area, Contacts, Disease, Duration, Intervention, Response, Scenario, AGE_BANDS};
pub use population::{Community, Population, Resident};
pub use sim::{InitialState, Quarantined, Simulation, State};

/// Why a simulation cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("scenario: {0}")]
    Scenario(String),
    #[error("population: {0}")]
    Population(String),
}
