//! Throughput of NDJSON parsing.
//!
//! Measured on the 2-core development machine (shared), release build:
//! `cargo test -p fangkong-fhir --release -- --ignored million --nocapture`
//! FIGURE

use std::time::Instant;

use fangkong_fhir::{read, SubmissionKind};

#[test]
#[ignore = "a release-mode benchmark: 1 000 000 NDJSON lines"]
fn million_immunizations() {
    let n = 1_000_000;
    let mut text = String::with_capacity(n * 420);
    for k in 0..n {
        text.push_str(&format!(
            r#"{{"resourceType":"Immunization","id":"im{k}","status":"completed","vaccineCode":{{"coding":[{{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}}]}},"patient":{{"identifier":{{"system":"urn:oid:2.16.156.10011.1.3","value":"41170219800101{:04}"}}}},"occurrenceDateTime":"2021-06-{:02}","lotNumber":"202106{:03}","protocolApplied":[{{"doseNumberPositiveInt":{}}}],"location":{{"display":"驿城区人民医院接种点"}}}}"#,
            k % 10_000,
            k % 28 + 1,
            k % 1000,
            k % 3 + 1
        ));
        text.push('\n');
    }
    let started = Instant::now();
    let s = read("million.ndjson", text.as_bytes()).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(s.kind, SubmissionKind::Ndjson);
    assert_eq!(s.entries.len(), n);
    assert!(s.entries.iter().all(|e| e.resource.is_ok()));
    eprintln!(
        "{n} lines, {} MB: {:.2} s",
        text.len() / 1_000_000,
        elapsed.as_secs_f64()
    );
}
