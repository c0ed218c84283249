//! `fangkong-bench aberration`.

use crate::{bench, json_report};

#[test]
fn json_report_has_every_field_for_a_small_run() {
    let report = json_report(["aberration", "--series", "20", "--json"]);
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
    for field in ["seconds", "reference_seconds", "cpu_seconds"] {
        assert!(report[field].as_f64().unwrap() >= 0.0, "{field}");
    }
    let speedup = report["speedup"].as_f64().unwrap();
    assert!(speedup.is_finite() && speedup > 0.0, "speedup {speedup}");
    assert!(report["alarms"].as_u64().is_some());
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 0);
    // The fast path and the naive reference agree on every judged day.
    assert_eq!(report["alarm_mismatches"], 0);
    assert_eq!(report["alarms"], report["reference_alarms"]);
    let per_method = report["per_method"].as_array().unwrap();
    assert_eq!(per_method.len(), 5);
    for m in per_method {
        assert!(m["seconds"].as_f64().is_some() && m["reference_seconds"].as_f64().is_some());
        assert_eq!(
            m["evaluations"].as_u64().unwrap() + 30 * m["refused_series"].as_u64().unwrap(),
            600,
            "{m}"
        );
    }
}

#[test]
fn same_seed_gives_the_same_alarms() {
    let alarms = |seed: &str| {
        let out = bench(["aberration", "--series", "8", "--seed", seed, "--json"]);
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
    let out = bench(["aberration", "--series", "4", "--reference-series", "2"]);
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
}
