//! Untrusted bytes never panic a parser: arbitrary bytes, CSV-like text, JSON lines,
//! damaged workbooks and policy files all give records or errors, and every error is a clear
//! one: a line inside the file (0 for the file as a whole), a field and a reason.
//!
//! Case counts are proptest's (256 per property, quick enough for every `cargo test`); set
//! `PROPTEST_CASES=100000` for a long run.

use std::sync::OnceLock;

use fangkong_ingest::{
    parse_batches, parse_boundaries_geojson, parse_checkins, parse_jurisdictions, parse_members,
    parse_persons, parse_policy, parse_results, parse_results_lenient, parse_risk_areas,
    parse_samples, parse_samples_lenient, parse_travel, parse_venues, read_table, FileErrors,
};
use proptest::prelude::*;
use rust_xlsxwriter::{Workbook, XlsxError};

use crate::today;

/// Checks that a refusal names this file and, for each error, a line that is in the text
/// (for a workbook, any sheet row), a field and a reason.
fn clear<T>(name: &str, bytes: &[u8], result: Result<T, FileErrors>) {
    let Err(e) = result else { return };
    assert_eq!(e.file, name);
    assert!(!e.errors.is_empty());
    let text = !bytes.starts_with(b"PK");
    // A line ends at \n, \r\n or a lone \r: at most one line per byte, plus the last.
    let lines = bytes.len() as u64 + 1;
    for error in &e.errors {
        assert!(!error.field.is_empty(), "{e}");
        assert!(!error.reason.is_empty(), "{e}");
        if text {
            assert!(error.line <= lines, "{e}");
        }
    }
}

fn all_parsers(name: &str, bytes: &[u8]) {
    clear(name, bytes, read_table(name, bytes));
    clear(name, bytes, parse_persons(name, bytes, today()));
    clear(name, bytes, parse_jurisdictions(name, bytes));
    clear(name, bytes, parse_boundaries_geojson(name, bytes));
    clear(name, bytes, parse_samples(name, bytes));
    clear(name, bytes, parse_samples_lenient(name, bytes));
    clear(name, bytes, parse_results(name, bytes));
    clear(name, bytes, parse_results_lenient(name, bytes));
    clear(name, bytes, parse_venues(name, bytes));
    clear(name, bytes, parse_checkins(name, bytes));
    clear(name, bytes, parse_batches(name, bytes));
    clear(name, bytes, parse_risk_areas(name, bytes));
    clear(name, bytes, parse_members(name, bytes));
    clear(name, bytes, parse_travel(name, bytes, noon()));
    clear(
        name,
        bytes,
        fangkong_ingest::fever::parse_fever_visits(name, bytes),
    );
    clear(
        name,
        bytes,
        fangkong_ingest::immunization::parse_vaccinations(name, bytes),
    );
    clear(
        name,
        bytes,
        fangkong_ingest::sentinel::parse_sentinel_reports(name, bytes),
    );
    clear(
        name,
        bytes,
        fangkong_ingest::supplies::parse_counts(name, bytes),
    );
    clear(
        name,
        bytes,
        fangkong_ingest::supplies::parse_movements(name, bytes),
    );
}

fn noon() -> chrono::DateTime<chrono::Utc> {
    today()
        .and_hms_opt(12, 0, 0)
        .expect("noon is a time")
        .and_utc()
}

/// The platform's own policy file, which the policy properties damage.
const POLICY: &str = include_str!("../../../fangkong-app/policies/inbound-default.toml");

fn small_workbook() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in (0u16..).zip(["name", "id_number", "community_code"]) {
        sheet.write_string(0, col, name)?;
    }
    sheet.write_string(1, 0, "张三")?;
    sheet.write_string(1, 1, "410102199003071230")?;
    sheet.write_number(1, 2, 410102001001.0)?;
    workbook.save_to_buffer()
}

/// The workbook that `damaged_workbooks_never_panic` damages, built once.
fn workbook_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| small_workbook().unwrap_or_default())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        all_parsers("x.csv", &bytes);
        all_parsers("x.xlsx", &bytes);
        all_parsers("x.ndjson", &bytes);
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        all_parsers("x", &zip);
    }

    #[test]
    fn csv_like_text_never_panics(body in "[a-z0-9,\"\r\n ；;\u{feff}]{0,300}") {
        let text = format!("name,id_number,community_code,tags,code,population,pop_0_14\n{body}");
        all_parsers("x.csv", text.as_bytes());
    }

    #[test]
    fn testing_rows_never_panic(body in "[TtZz0-9 :.+,\"\r\n\u{feff}阴性-]{0,300}") {
        let text = format!(
            "tube_id,id_number,site_code,collected_at,pool_size,result,ct_n,lab_code,tested_at,reported_at\n{body}"
        );
        all_parsers("x.csv", text.as_bytes());
    }

    #[test]
    fn json_lines_never_panic(body in r#"[\[\]{}":,0-9a-z. \n\r\\-]{0,300}"#) {
        let text = format!("{{\"tube_id\":\"T1\",\"collected_at\":{body}");
        all_parsers("x.ndjson", text.as_bytes());
    }

    #[test]
    fn json_like_text_never_panics(body in r#"[\[\]{}":,0-9a-zA-Z. \n-]{0,300}"#) {
        let text = format!(r#"{{"type":"FeatureCollection","features":[{body}"#);
        all_parsers("x.geojson", text.as_bytes());
    }

    #[test]
    fn damaged_workbooks_never_panic(
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = workbook_bytes().to_vec();
        prop_assert!(!bytes.is_empty());
        for (at, byte) in damage {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        all_parsers("x.xlsx", &bytes);
        let len = cut.index(bytes.len());
        all_parsers("x.xlsx", &bytes[..len]);
    }

    #[test]
    fn arbitrary_policy_text_never_panics(text in "[\\[\\]{}=\"'.,#a-z0-9_ \n-]{0,300}") {
        clear("p.toml", text.as_bytes(), parse_policy("p.toml", &text));
    }

    #[test]
    fn damaged_policies_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..8),
    ) {
        let mut text: Vec<char> = POLICY.chars().collect();
        for (at, c, op) in edits {
            let i = at.index(text.len());
            match op {
                0 => text[i] = c,
                1 => { text.remove(i); }
                _ => text.insert(i, c),
            }
        }
        let text: String = text.into_iter().collect();
        clear("p.toml", text.as_bytes(), parse_policy("p.toml", &text));
    }

    #[test]
    fn csv_export_reads_back_as_written(
        rows in prop::collection::vec(prop::collection::vec("[=+@a-z0-9 ,\"'\r\n\t-]{0,12}", 2), 1..6),
    ) {
        let bytes = fangkong_ingest::write_csv(&["a", "b"], rows.iter().cloned());
        // Import trims cells and skips rows that are all empty.
        let expected: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>())
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .collect();
        let table = read_table("e.csv", &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Vec<Vec<String>> = table
            .rows()
            .map(|r| r.cells().map(str::to_string).collect())
            .collect();
        prop_assert_eq!(back, expected);
        // No cell of the export starts a formula in a spreadsheet.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
        for record in reader.records() {
            let record = record.map_err(|e| TestCaseError::fail(e.to_string()))?;
            for cell in &record {
                let plain_number = cell.parse::<f64>().is_ok();
                let start = cell.trim_start_matches(['\t', '\r']);
                let formula = start.starts_with(['=', '+', '-', '@']) && start.len() > 1;
                prop_assert!(plain_number || !formula, "{:?}", cell);
            }
        }
    }
}

#[test]
fn a_deeply_nested_policy_is_an_error() {
    let text = format!(
        "version = \"x\"\neffective_from = \"2026-01-01\"\nx = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = parse_policy("deep.toml", &text).unwrap_err();
    expect_test::expect!["deep.toml:3: file: recursion limit exceeded"].assert_eq(&e.to_string());
}
