//! `fangkong-bench testing-round`: the shape and the counts of a small round (timings are
//! never asserted).

use crate::json_report;

#[test]
fn a_small_round_stores_every_row_and_reports_both_baselines() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_string_lossy().into_owned();
    let r = json_report([
        "testing-round",
        "--population",
        "3000",
        "--json",
        "--data",
        &data_dir,
    ]);
    assert_eq!(r["scenario"], "testing-round");
    let rows = r["sample_rows"].as_u64().unwrap();
    assert!(rows > 2_000, "{rows} sample rows");
    // Everyone swabbed once, in 10-in-1 tubes of one community each; one result per tube.
    assert_eq!(r["samples_stored"], rows);
    assert_eq!(r["samples_refused"], 0);
    assert_eq!(r["tubes_created"], r["tubes"]);
    assert_eq!(r["results_stored"], r["tubes"]);
    assert_eq!(r["results_refused"], 0);
    assert_eq!(r["coverage_sampled"].as_u64(), Some(rows));
    assert_eq!(r["coverage_target"].as_u64(), Some(rows));
    // Every member of a positive or inconclusive pool gets a retest task.
    let flagged = r["positive_pools"].as_u64().unwrap() + r["inconclusive_pools"].as_u64().unwrap();
    assert!(flagged >= 1);
    let tasks = r["retest_tasks_created"].as_u64().unwrap();
    assert!(tasks >= flagged && tasks <= 10 * flagged, "{tasks} tasks");
    for field in [
        "total_seconds",
        "ingest_rows_per_second",
        "baseline_rows_per_second",
        "bare_baseline_rows_per_second",
        "ratio_to_baseline",
        "ratio_to_bare_baseline",
    ] {
        let v = r[field].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{field} {v}");
    }
    for phase in [
        "generate",
        "ingest_samples",
        "ingest_results",
        "coverage",
        "overdue",
        "baseline",
        "bare_baseline",
    ] {
        assert!(r["phases"][phase].as_f64().unwrap() >= 0.0, "{phase}");
    }
    assert!(r["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(r["peak_anon_rss_bytes"].as_u64().unwrap() > 0);
    assert_eq!(r["targets"]["total_seconds_max"], 60.0);
    assert_eq!(r["targets"]["ratio_to_baseline_min"], 0.5);
    // The population is kept for the next run; the round and the baselines are not.
    let kept: Vec<String> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, vec!["population-4117-3000-2026".to_string()]);
}
