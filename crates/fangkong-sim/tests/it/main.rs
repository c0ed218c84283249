//! Integration tests of `fangkong-sim`: validation against theory, determinism, the
//! response and interventions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_scenarios;
mod determinism;
mod interventions;
mod scenario_file;
mod validation;
