//! `fangkong-bench aberration`. The Python reference needs python3 and, on its first run,
//! PyPI: these tests skip it (`--python-series 0`) or give it an interpreter that does not
//! exist, except the slow test, which runs it when python3 is there.

use crate::{bench, json_report};

#[test]
fn json_report_has_every_field_for_a_small_run() {
    let report = json_report([
        "aberration",
        "--series",
        "20",
        "--python-series",
        "0",
        "--json",
    ]);
    assert_eq!(
        report["scenario"],
        "aberration-daily-5y-farrington-defaults"
    );
    assert_eq!(report["series"], 20);
    assert_eq!(report["days_evaluated"], 30);
    assert_eq!(
        report["methods"],
        serde_json::json!(["ears-c1", "ears-c2", "ears-c3", "cusum", "farrington"])
    );
    for field in [
        "seconds",
        "reference_seconds",
        "cpu_seconds",
        "rust_naive_reference_seconds",
    ] {
        assert!(report[field].as_f64().unwrap() >= 0.0, "{field}");
    }
    for field in ["speedup", "rust_naive_speedup"] {
        let speedup = report[field].as_f64().unwrap();
        assert!(speedup.is_finite() && speedup > 0.0, "{field} {speedup}");
    }
    assert!(report["alarms"].as_u64().is_some());
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 0);
    // Without the Python reference the headline is the naive Rust one, and the report says why.
    assert_eq!(report["reference"], "rust-naive");
    assert_eq!(report["speedup"], report["rust_naive_speedup"]);
    assert!(report["python_reference"].is_null());
    assert!(report["python_reference_series"].is_null());
    assert!(report["python_reference_unavailable"]
        .as_str()
        .unwrap()
        .contains("--python-series 0"));
    // The fast path and the naive reference agree on every judged day.
    assert_eq!(report["rust_naive_reference_series"], 20);
    assert_eq!(report["rust_naive_alarm_mismatches"], 0);
    assert_eq!(report["alarms"], report["rust_naive_alarms"]);
    let per_method = report["per_method"].as_array().unwrap();
    assert_eq!(per_method.len(), 5);
    for m in per_method {
        assert!(m["seconds"].as_f64().is_some());
        assert!(m["rust_naive"]["seconds"].as_f64().is_some());
        assert_eq!(m["rust_naive"]["threshold_presence_mismatches"], 0, "{m}");
        assert!(m["python"].is_null());
        assert_eq!(
            m["evaluations"].as_u64().unwrap() + 30 * m["refused_series"].as_u64().unwrap(),
            600,
            "{m}"
        );
    }
}

#[test]
fn missing_python_is_reported_and_the_rust_reference_still_runs() {
    let venv = tempfile::tempdir().unwrap();
    let report = json_report([
        "aberration",
        "--series",
        "3",
        "--python",
        "/nonexistent/python3",
        "--python-venv",
        venv.path().join("venv").to_str().unwrap(),
        "--json",
    ]);
    assert!(report["python_reference"].is_null());
    assert!(report["python_seconds_measured"].is_null());
    let reason = report["python_reference_unavailable"].as_str().unwrap();
    assert!(reason.contains("/nonexistent/python3"), "{reason}");
    assert_eq!(report["reference"], "rust-naive");
    assert_eq!(report["rust_naive_alarm_mismatches"], 0);
}

#[test]
fn same_seed_gives_the_same_alarms() {
    let alarms = |seed: &str| {
        let out = bench([
            "aberration",
            "--series",
            "8",
            "--seed",
            seed,
            "--python-series",
            "0",
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["per_method"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["alarms"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(alarms("7"), alarms("7"));
}

#[test]
fn table_names_every_method() {
    // `--reference-series` is the old name of `--rust-naive-series`.
    let out = bench([
        "aberration",
        "--series",
        "4",
        "--reference-series",
        "2",
        "--python-series",
        "0",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for method in [
        "ears-c1",
        "ears-c2",
        "ears-c3",
        "cusum",
        "farrington",
        "all",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(method)),
            "{method} missing in\n{text}"
        );
    }
    assert!(text.contains("python reference unavailable"), "{text}");
    assert!(
        text.contains("rust naive reference: one thread, on 2 series"),
        "{text}"
    );
}

#[test]
fn python_reference_agrees_with_the_fast_path() {
    // Creating its environment needs python3 and PyPI and takes a minute: slow.
    if std::env::var_os("FANGKONG_SLOW_TESTS").is_none() {
        return;
    }
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("aberration-venv");
    let report = json_report([
        "aberration",
        "--series",
        "12",
        "--python-series",
        "6",
        "--python-venv",
        venv.to_str().unwrap(),
        "--json",
    ]);
    if report["python_reference"].is_null() {
        // No python3 here: the report must say so.
        assert!(
            report["python_reference_unavailable"].is_string(),
            "{report}"
        );
        return;
    }
    assert_eq!(report["reference"], "python-statsmodels");
    assert_eq!(report["python_reference_series"], 6);
    assert_eq!(report["python_alarm_mismatches"], 0, "{report}");
    assert_eq!(
        report["python_threshold_presence_mismatches"], 0,
        "{report}"
    );
    // statsmodels' GLM bookkeeping differs from R's within the convergence tolerance.
    let diff = report["python_max_threshold_rel_diff"].as_f64().unwrap();
    assert!(diff < 1e-4, "{diff}");
    let versions = &report["python_reference"]["versions"];
    for package in ["python", "numpy", "scipy", "statsmodels"] {
        assert!(versions[package].is_string(), "{package}");
    }
}
