//! Detection of the kind of file and resolution of references.

use expect_test::expect;
use fangkong_fhir::{
    read, ImmunizationStatus, LabResult, Resource, Sex, SubjectRef, SubmissionKind,
    NATIONAL_ID_SYSTEM,
};

use super::{ok, outline};

const PATIENT: &str = r#"{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"41172220000101001X"}],"name":[{"text":"张三"}],"gender":"male","birthDate":"2000-01-01","telecom":[{"system":"phone","value":"13800000000"}],"address":[{"text":"驿城区某路1号","extension":[{"url":"urn:fangkong:fhir:StructureDefinition:community-code","valueCode":"411702001001"}]}]}"#;

fn imm(patient: &str) -> String {
    format!(
        r#"{{"resourceType":"Immunization","status":"completed","vaccineCode":{{"coding":[{{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}}]}},"patient":{patient},"occurrenceDateTime":"2021-06-01T23:30:00Z","lotNumber":"L1","protocolApplied":[{{"doseNumberPositiveInt":2}}],"location":{{"display":"驿城区接种点"}}}}"#
    )
}

fn bundle(kind: &str, entries: &[(&str, String)]) -> String {
    let e: Vec<String> = entries
        .iter()
        .map(|(u, r)| {
            if u.is_empty() {
                format!(r#"{{"resource":{r}}}"#)
            } else {
                format!(r#"{{"fullUrl":"{u}","resource":{r}}}"#)
            }
        })
        .collect();
    format!(
        r#"{{"resourceType":"Bundle","type":"{kind}","entry":[{}]}}"#,
        e.join(",")
    )
}

#[test]
fn batch_transaction_collection_and_single_are_detected() {
    for (t, k) in [
        ("batch", SubmissionKind::Batch),
        ("transaction", SubmissionKind::Transaction),
        ("collection", SubmissionKind::Collection),
    ] {
        let s = ok("b.json", &bundle(t, &[("", PATIENT.to_string())]));
        assert_eq!(s.kind, k);
        assert_eq!(s.entries.len(), 1);
    }
    let s = ok("p.json", &format!("\u{feff}{PATIENT}\n"));
    assert_eq!(s.kind, SubmissionKind::Single);
    let Ok(Resource::Patient(p)) = &s.entries[0].resource else {
        panic!("{s:?}")
    };
    assert_eq!(p.id_number.as_deref(), Some("41172220000101001X"));
    assert_eq!(p.name, "张三");
    assert_eq!(p.sex, Some(Sex::Male));
    assert_eq!(p.community_code.as_deref(), Some("411702001001"));
    assert_eq!(p.phone.as_deref(), Some("13800000000"));
    assert_eq!(p.path, "Patient");
    // Pretty-printed single resources are one document, not NDJSON.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(PATIENT).unwrap())
            .unwrap();
    assert_eq!(ok("p.json", &pretty).kind, SubmissionKind::Single);
}

#[test]
fn ndjson_lines_blank_lines_skipped() {
    let text = format!(
        "{PATIENT}\n\n{}\n   \n{}\n",
        imm(r#"{"reference":"Patient/p1"}"#),
        imm(r#"{"reference":"Patient/999"}"#)
    );
    let s = ok("x.ndjson", &text);
    assert_eq!(s.kind, SubmissionKind::Ndjson);
    let locations: Vec<&str> = s.entries.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["line 1", "line 3", "line 5"]);
    let Ok(Resource::Immunization(i)) = &s.entries[1].resource else {
        panic!("{s:?}")
    };
    assert_eq!(i.subject, SubjectRef::Entry(0));
    assert_eq!(i.subject_path, "line 3: Immunization.patient");
    // 23:30 UTC is the next day in China.
    assert_eq!(i.occurrence.to_string(), "2021-06-02");
    assert_eq!(i.dose_number, 2);
    assert_eq!(i.status, ImmunizationStatus::Completed);
    assert_eq!(i.site.as_deref(), Some("驿城区接种点"));
    assert_eq!(
        i.vaccine[0].path,
        "line 3: Immunization.vaccineCode.coding[0]"
    );
    let Ok(Resource::Immunization(i)) = &s.entries[2].resource else {
        panic!("{s:?}")
    };
    assert_eq!(i.subject, SubjectRef::Literal("999".into()));
}

#[test]
fn references_resolve_by_full_url_id_identifier_and_literal() {
    let s = ok(
        "b.json",
        &bundle(
            "transaction",
            &[
                (
                    "urn:uuid:6f1c0c9e-0000-4000-8000-000000000001",
                    PATIENT.to_string(),
                ),
                (
                    "",
                    imm(r#"{"reference":"urn:uuid:6f1c0c9e-0000-4000-8000-000000000001"}"#),
                ),
                ("", imm(r#"{"reference":"Patient/p1"}"#)),
                (
                    "",
                    imm(r#"{"identifier":{"system":"urn:oid:2.16.156.10011.1.3","value":"X"}}"#),
                ),
                ("", imm(r#"{"reference":"Patient/42"}"#)),
                (
                    "",
                    imm(r#"{"reference":"http://example.org/fhir/Patient/43/_history/2"}"#),
                ),
            ],
        ),
    );
    let subjects: Vec<SubjectRef> = s
        .entries
        .iter()
        .skip(1)
        .map(|e| match &e.resource {
            Ok(Resource::Immunization(i)) => i.subject.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        subjects,
        [
            SubjectRef::Entry(0),
            SubjectRef::Entry(0),
            SubjectRef::Identifier {
                system: NATIONAL_ID_SYSTEM.into(),
                value: "X".into()
            },
            SubjectRef::Literal("42".into()),
            SubjectRef::Literal("43".into()),
        ]
    );
}

#[test]
fn observation_and_report() {
    let obs = r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"urn:uuid:a"},"effectiveDateTime":"2022-04-01T08:00:00+08:00","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260373001"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"94509-7"}]},"valueQuantity":{"value":28.5}}],"specimen":{"identifier":{"value":"T0001"}},"performer":[{"display":"市疾控"}]}"#;
    let obs2 = r#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"urn:uuid:a"},"effectiveDateTime":"2022-04-01","valueString":"阴性","specimen":{"display":"T0002"}}"#;
    let rep = r#"{"resourceType":"DiagnosticReport","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"94531-1"}]},"subject":{"reference":"urn:uuid:a"},"result":[{"reference":"Observation/o1"},{"reference":"urn:uuid:o2"}],"conclusion":"阳性"}"#;
    let s = ok(
        "lab.json",
        &bundle(
            "collection",
            &[
                ("urn:uuid:a", PATIENT.to_string()),
                ("", obs.to_string()),
                ("urn:uuid:o2", obs2.to_string()),
                ("", rep.to_string()),
            ],
        ),
    );
    expect![[r#"
        Collection
        Bundle.entry[0]: ok
        Bundle.entry[1]: ok
        Bundle.entry[2]: ok
        Bundle.entry[3]: ok
    "#]]
    .assert_eq(&outline(&s));
    let Ok(Resource::Observation(o)) = &s.entries[1].resource else {
        panic!()
    };
    assert_eq!(o.result, LabResult::Detected);
    assert_eq!(o.ct, Some(28.5));
    assert_eq!(o.specimen_id.as_deref(), Some("T0001"));
    assert_eq!(o.effective_ms, 1_648_771_200_000);
    assert_eq!(o.subject, SubjectRef::Entry(0));
    let Ok(Resource::Observation(o)) = &s.entries[2].resource else {
        panic!()
    };
    assert_eq!(o.result, LabResult::NotDetected);
    assert_eq!(o.specimen_id.as_deref(), Some("T0002"));
    assert_eq!(o.effective_ms, 1_648_742_400_000);
    let Ok(Resource::DiagnosticReport(r)) = &s.entries[3].resource else {
        panic!()
    };
    assert_eq!(r.results, [1, 2]);
}

#[test]
fn file_errors_name_the_file_and_reason() {
    let cases = [
        (&b"\xff\xfe{}"[..], "f.json: not UTF-8 (invalid byte at offset 0)"),
        (b"", "f.json: the file is empty"),
        (b"hello", "f.json: not JSON: expected value at line 1 column 1"),
        (b"[1,2]", "f.json: expected a JSON object: a FHIR Bundle or resource"),
        (b"{\"a\":1}", "f.json: resourceType: missing; expected Bundle, Patient, Immunization, Observation or DiagnosticReport"),
        (br#"{"resourceType":"Bundle","type":"searchset"}"#, "f.json: Bundle.type: searchset bundles cannot be imported; expected batch, transaction or collection"),
        (br#"{"resourceType":"Bundle","type":"history"}"#, "f.json: Bundle.type: history bundles cannot be imported; expected batch, transaction or collection"),
        (br#"{"resourceType":"Bundle","type":"document"}"#, "f.json: Bundle.type: document bundles cannot be imported; expected batch, transaction or collection"),
        (br#"{"resourceType":"Bundle","type":"message"}"#, "f.json: Bundle.type: message bundles cannot be imported; expected batch, transaction or collection"),
        (br#"{"resourceType":"Bundle"}"#, "f.json: Bundle.type: missing; expected batch, transaction or collection"),
        (br#"{"resourceType":"Bundle","type":"batch","entry":{}}"#, "f.json: Bundle.entry: expected an array of entries"),
    ];
    for (bytes, want) in cases {
        let got = read("f.json", bytes)
            .map(|s| format!("{s:?}"))
            .unwrap_err()
            .to_string();
        assert_eq!(got, want);
    }
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    assert_eq!(
        read("f.json", deep.as_bytes()).unwrap_err().to_string(),
        "f.json: line 1: objects and arrays nested deeper than 32 levels"
    );
}
