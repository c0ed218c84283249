//! `fangkong-bench allocate`: the shape of a small run, and both allocators agreeing
//! (timings are never asserted).

use crate::json_report;

#[test]
fn a_small_run_reports_every_field_and_both_plans_agree() {
    let r = json_report([
        "allocate",
        "--people",
        "600",
        "--sites",
        "8",
        "--rooms-per-site",
        "60",
        "--repetitions",
        "2",
        "--json",
    ]);
    assert_eq!(r["scenario"], "allocate");
    assert_eq!(r["people"], 600);
    assert_eq!(r["sites"], 8);
    assert_eq!(r["rooms"], 480);
    assert_eq!(r["repetitions"], 2);
    let households = r["households"].as_u64().unwrap();
    assert!((120..=600).contains(&households), "{households}");
    for field in [
        "seconds",
        "best_seconds",
        "baseline_seconds",
        "baseline_best_seconds",
        "speedup",
        "validate_seconds",
        "mean_distance_km",
        "max_distance_km",
    ] {
        let value = r[field].as_f64().unwrap();
        assert!(value.is_finite() && value >= 0.0, "{field}: {value}");
    }
    let placed = r["placed"].as_u64().unwrap();
    assert_eq!(placed + r["unplaced"].as_u64().unwrap(), 600);
    assert!(placed > 0);
    assert!(
        r["split_households"].as_u64().unwrap() > 0,
        "households of 4-5 exceed 3 beds"
    );
    assert_eq!(r["violations"], 0);
    assert_eq!(r["baseline_violations"], 0);
    assert_eq!(r["baseline_placed"], r["placed"]);
    assert_eq!(r["same_plan"], true);
    assert!(r["targets_met"]["seconds"].is_boolean());
}

#[test]
fn a_crowded_run_leaves_people_unplaced_and_both_plans_still_agree() {
    // 1 500 people for 5 sites of 40 rooms (about 400 beds).
    let r = json_report([
        "allocate",
        "--people",
        "1500",
        "--sites",
        "5",
        "--rooms-per-site",
        "40",
        "--seed",
        "7",
        "--repetitions",
        "1",
        "--json",
    ]);
    assert!(r["unplaced"].as_u64().unwrap() > 1000);
    assert_eq!(r["violations"], 0);
    assert_eq!(r["baseline_violations"], 0);
    assert_eq!(r["same_plan"], true);
}
