//! `fangkong-bench exposure-match`: the shape of a small run, and the index agreeing with
//! SQL (timings are never asserted).

use crate::json_report;

#[test]
fn a_small_run_reports_every_field_and_agrees_with_sql() {
    let r = json_report([
        "exposure-match",
        "--checkins",
        "20000",
        "--people",
        "3000",
        "--venues",
        "500",
        "--baseline-rows",
        "5000",
        "--queries",
        "20",
        "--json",
    ]);
    assert_eq!(r["scenario"], "exposure-match");
    assert_eq!(r["checkins"], 20_000);
    assert_eq!(r["baseline_rows"], 5_000);
    assert_eq!(r["queries"], 20);
    assert_eq!(r["intervals"], 20);
    for field in [
        "build_seconds",
        "bytes_per_checkin",
        "p50_ms",
        "p99_ms",
        "baseline_p50_ms",
        "baseline_p99_ms",
        "equal_size_p50_ms",
        "speedup_vs_baseline",
    ] {
        let value = r[field].as_f64().unwrap();
        assert!(value.is_finite() && value >= 0.0, "{field}: {value}");
    }
    assert!(r["mean_candidates"].as_f64().unwrap() > 0.0);
    assert!(r["equal_size_mean_candidates"].as_f64().unwrap() > 0.0);
    assert_eq!(r["mismatches"], 0);
    for target in ["bytes_per_checkin", "p99_ms", "speedup_vs_baseline"] {
        assert!(r["targets_met"][target].is_boolean(), "{target}");
    }
}
