//! `fangkong-bench immunization-import`: the shape and the counts of a small list (timings
//! are never asserted).

use crate::json_report;

fn check(r: &serde_json::Value, rows: u64, format: &str) {
    assert_eq!(r["scenario"], "immunization-import");
    assert_eq!(r["format"], format);
    assert_eq!(r["rows"].as_u64(), Some(rows));
    // Every row a new dose; every vaccinated person one status; the rerun a no-op.
    assert_eq!(r["inserted"].as_u64(), Some(rows));
    assert_eq!(r["updated"], 0);
    assert_eq!(r["unchanged"], 0);
    assert_eq!(r["stored_vaccinations"].as_u64(), Some(rows));
    let persons = r["vaccinated_persons"].as_u64().unwrap();
    // 1-3 doses each.
    assert!(persons * 3 >= rows && persons < rows, "{persons} persons");
    assert_eq!(r["persons"].as_u64(), Some(persons));
    assert_eq!(r["stored_statuses"].as_u64(), Some(persons));
    assert_eq!(r["rerun_unchanged"].as_u64(), Some(rows));
    for field in [
        "seconds",
        "rows_per_second",
        "parse_seconds",
        "rerun_seconds",
        "baseline_seconds",
        "baseline_rows_per_second",
        "ratio",
    ] {
        let v = r[field].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{field} {v}");
    }
    assert!(r["file_bytes"].as_u64().unwrap() > 0);
    assert!(r["load_average"].is_array() || r["load_average"].is_null());
}

#[test]
fn a_small_csv_list_is_stored_whole_and_a_rerun_changes_nothing() {
    let r = json_report(["immunization-import", "--rows", "3000", "--json"]);
    check(&r, 3000, "csv");
    assert_eq!(r["population"], 2000);
}

#[test]
fn an_xlsx_list_goes_the_same_way() {
    let r = json_report([
        "immunization-import",
        "--rows",
        "1500",
        "--population",
        "1500",
        "--format",
        "xlsx",
        "--json",
    ]);
    check(&r, 1500, "xlsx");
}
