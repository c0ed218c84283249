//! No panic on any input, however deep or large; every refusal says where and why.
//!
//! The properties run 2000 cases by default; `PROPTEST_CASES` overrides (a long run:
//! `PROPTEST_CASES=200000`).

use fangkong_fhir::read;
use proptest::prelude::*;

const VALID: &str = r#"{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"p","name":[{"family":"张","given":["三"]}],"gender":"female","birthDate":"1990-02-03"}},{"resource":{"resourceType":"Immunization","status":"completed","patient":{"reference":"urn:uuid:a"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"511"}]},"occurrenceDateTime":"2021-06-01T10:00:00+08:00","protocolApplied":[{"doseNumberString":"1"}]}},{"resource":{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"Patient/p"},"effectiveInstant":"2022-01-01T00:00:00Z","valueString":"positive","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"94509-7"}]},"valueQuantity":{"value":30}}]}},{"resource":{"resourceType":"DiagnosticReport","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"subject":{"reference":"urn:uuid:a"},"result":[{"reference":"urn:uuid:a"}]}}]}"#;

#[test]
fn the_valid_bundle_is_valid_but_for_the_report() {
    let s = read("b.json", VALID.as_bytes()).unwrap();
    let issues: Vec<String> = s
        .entries
        .iter()
        .filter_map(|e| e.resource.as_ref().err())
        .flatten()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(issues, ["Bundle.entry[3].resource.result[0]: refers to Bundle.entry[0] (Patient); expected an Observation"]);
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    let show = |bytes: &[u8]| match read("deep.json", bytes) {
        Ok(s) => format!(
            "accepted: {} resources, issues: {:?}",
            s.resources().count(),
            s.issues().map(ToString::to_string).collect::<Vec<_>>()
        ),
        Err(e) => e.to_string(),
    };
    let arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    expect_test::expect!["deep.json: line 1: objects and arrays nested deeper than 32 levels"]
        .assert_eq(&show(arrays.as_bytes()));
    // A Patient whose name nests 100 000 objects deep.
    let patient = format!(
        r#"{{"resourceType":"Patient","id":"p","name":[{}1{}]}}"#,
        r#"{"given":"#.repeat(100_000),
        "}".repeat(100_000)
    );
    expect_test::expect!["deep.json: line 1: objects and arrays nested deeper than 32 levels"]
        .assert_eq(&show(patient.as_bytes()));
    // The same as NDJSON, after a valid line.
    let lines = format!(
        "{{\"resourceType\":\"Patient\",\"id\":\"a\",\"name\":[{{\"text\":\"x\"}}]}}\n{patient}\n"
    );
    expect_test::expect!["deep.json: line 2: objects and arrays nested deeper than 32 levels"]
        .assert_eq(&show(lines.as_bytes()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read("x", &bytes);
    }

    #[test]
    fn mutated_bundles_never_panic(edits in proptest::collection::vec((0usize..VALID.len(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, b, op) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 => bytes[at] = b,
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, b),
            }
        }
        let _ = read("x", &bytes);
    }

    #[test]
    fn json_like_text_never_panics(s in r#"[\[\]{}":,0-9a-zA-Z \n-]{0,200}"#) {
        let _ = read("x", s.as_bytes());
    }
}

#[test]
fn large_inputs_stay_linear() {
    // One report with 20 000 bad results, and 20 000 entries referencing one patient.
    let results = vec![r#"{"display":"x"}"#; 20_000].join(",");
    let report = format!(
        r#"{{"resourceType":"DiagnosticReport","code":{{"coding":[{{"system":"s","code":"c"}}]}},"subject":{{"reference":"Patient/1"}},"result":[{results}]}}"#
    );
    let started = std::time::Instant::now();
    let s = read("r.json", report.as_bytes()).unwrap();
    assert_eq!(s.issues().count(), 20_000);
    let mut lines =
        vec![r#"{"resourceType":"Patient","id":"1","name":[{"text":"x"}]}"#.to_string()];
    lines.extend((0..20_000).map(|k| {
        format!(
            r#"{{"resourceType":"Immunization","id":"i{k}","status":"completed","vaccineCode":{{"coding":[{{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}}]}},"patient":{{"reference":"Patient/1"}},"occurrenceDateTime":"2021-06-01","protocolApplied":[{{"doseNumberPositiveInt":1}}]}}"#
        )
    }));
    let s = read("x.ndjson", lines.join("\n").as_bytes()).unwrap();
    assert_eq!(s.resources().count(), 20_001);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}
