//! Throughput of NDJSON parsing.
//!
//! Measured on the 2-core development machine (shared), release build:
//! `cargo test -p fangkong-fhir --release -- --ignored million --nocapture`
//! 1000000 lines, 405 MB: 7.28 s wall, 3.61 s CPU (all threads)
//! 1000000 Observation lines, 464 MB: 11.25 s wall, 5.59 s CPU (all threads)
//! The machine was shared with other builds (load average 7 on 2 cores) when measured, so the
//! CPU time is the figure to compare: about 2 s (Immunization) and 3 s (Observation) of wall
//! time on an idle 2-core machine. Valid Immunization and Observation lines take the borrowed
//! typed fast path (`read.rs`, `mod fast`); other resources and lines with any problem take the
//! general `serde_json::Value` path (the Observation benchmark took 10 s CPU before its fast
//! path).

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
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let s = read("million.ndjson", text.as_bytes()).unwrap();
    let elapsed = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    assert_eq!(s.kind, SubmissionKind::Ndjson);
    assert_eq!(s.entries.len(), n);
    assert!(s.entries.iter().all(|e| e.resource.is_ok()));
    eprintln!(
        "{n} lines, {} MB: {:.2} s wall, {cpu:.2} s CPU (all threads)",
        text.len() / 1_000_000,
        elapsed.as_secs_f64()
    );
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere), so the figure means
/// something on a machine shared with other builds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
#[ignore = "a release-mode benchmark: 1 000 000 NDJSON lines of Observations (the general path)"]
fn million_observations() {
    let n = 1_000_000;
    let mut text = String::with_capacity(n * 520);
    for k in 0..n {
        text.push_str(&format!(
            r#"{{"resourceType":"Observation","id":"o{k}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"94500-6"}}]}},"subject":{{"identifier":{{"system":"urn:oid:2.16.156.10011.1.3","value":"41170219800101{:04}"}}}},"effectiveDateTime":"2022-04-{:02}T08:00:00+08:00","valueCodeableConcept":{{"coding":[{{"system":"http://snomed.info/sct","code":"260415000"}}]}},"specimen":{{"identifier":{{"value":"T{k:09}"}}}},"performer":[{{"display":"市疾控中心实验室"}}]}}"#,
            k % 10_000,
            k % 28 + 1,
        ));
        text.push('\n');
    }
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let s = read("million.ndjson", text.as_bytes()).unwrap();
    let elapsed = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    assert_eq!(s.entries.len(), n);
    assert!(s.entries.iter().all(|e| e.resource.is_ok()));
    eprintln!(
        "{n} Observation lines, {} MB: {:.2} s wall, {cpu:.2} s CPU (all threads)",
        text.len() / 1_000_000,
        elapsed.as_secs_f64()
    );
}
