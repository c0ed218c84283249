//! `fangkong-bench sim`: the shape of a small run, with a scenario file (timings are never
//! asserted; Covasim is skipped, it needs PyPI once and minutes).

use crate::{bench, json_report};

#[test]
fn a_small_run_reports_every_field() {
    let r = json_report([
        "sim",
        "--population",
        "20000",
        "--days",
        "30",
        "--covasim-population",
        "0",
        "--json",
    ]);
    assert_eq!(r["scenario"], "sim");
    assert_eq!(r["population"], 20_000);
    assert_eq!(r["days"], 30);
    for field in [
        "seconds",
        "build_seconds",
        "agent_days_per_second",
        "attack_rate",
    ] {
        let value = r[field].as_f64().unwrap();
        assert!(value.is_finite() && value >= 0.0, "{field}: {value}");
    }
    let infections = r["infections"].as_u64().unwrap();
    assert!(infections >= 100, "the 100 seeds at least: {infections}");
    assert!(r["peak_rss_bytes"].as_u64().unwrap_or(1) > 0);
    assert!(r["covasim"].is_null());
    assert_eq!(r["covasim_unavailable"], "--covasim-population 0");
}

#[test]
fn a_scenario_file_replaces_the_default_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lockdown.toml");
    std::fs::write(
        &path,
        "[[interventions]]\nkind = \"lockdown\"\nstart_day = 0\nend_day = 30\narea = \"city\"\n",
    )
    .unwrap();
    let args = |p: &std::path::Path| {
        vec![
            "sim".to_string(),
            "--population".into(),
            "20000".into(),
            "--days".into(),
            "20".into(),
            "--covasim-population".into(),
            "0".into(),
            "--scenario".into(),
            p.display().to_string(),
            "--json".into(),
        ]
    };
    let r = json_report(args(&path));
    assert!(r["attack_rate"].as_f64().unwrap() < 0.5);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[contacts]\nhousehold_beta = \"high\"\n").unwrap();
    let out = bench(args(&bad));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
}
