//! The `fangkong-bench` binary as a developer runs it. Timings are never asserted (STYLE §4):
//! only the shape of the report.

// Test helpers outside `#[test]` functions unwrap too; a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aberration;
mod testing_round;
