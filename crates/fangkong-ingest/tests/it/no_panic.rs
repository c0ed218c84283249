//! Untrusted bytes never panic a parser: arbitrary bytes, CSV-like text, JSON lines and
//! damaged workbooks all give records or errors.

use std::sync::OnceLock;

use fangkong_ingest::{
    parse_boundaries_geojson, parse_checkins, parse_jurisdictions, parse_persons, parse_results,
    parse_results_lenient, parse_samples, parse_samples_lenient, parse_venues, read_table,
};
use proptest::prelude::*;
use rust_xlsxwriter::{Workbook, XlsxError};

use crate::today;

fn all_parsers(name: &str, bytes: &[u8]) {
    let _ = read_table(name, bytes);
    let _ = parse_persons(name, bytes, today());
    let _ = parse_jurisdictions(name, bytes);
    let _ = parse_boundaries_geojson(name, bytes);
    let _ = parse_samples(name, bytes);
    let _ = parse_samples_lenient(name, bytes);
    let _ = parse_results(name, bytes);
    let _ = parse_results_lenient(name, bytes);
    let _ = parse_venues(name, bytes);
    let _ = parse_checkins(name, bytes);
}

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
}
