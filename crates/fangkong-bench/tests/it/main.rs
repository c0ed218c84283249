//! The `fangkong-bench` binary as a developer runs it. Timings are never asserted (STYLE §4):
//! only the shape of the report.

// Test helpers outside `#[test]` functions unwrap too; a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aberration;
mod allocate;
mod exposure_match;
mod immunization_import;
mod sim;
mod testing_round;

use std::process::Command;

/// Runs `fangkong-bench` with `args`.
fn bench<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_fangkong-bench"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `fangkong-bench` with `args` (which ask for `--json`): it succeeds and prints one
/// JSON object on one line, returned.
fn json_report<I, S>(args: I) -> serde_json::Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = bench(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line");
    serde_json::from_str(&stdout).unwrap()
}
