//! Every listed validation error with its exact path and message.

use expect_test::{expect, Expect};

use super::{ok, outline};

fn check(entries: &[&str], want: Expect) {
    let b = format!(
        r#"{{"resourceType":"Bundle","type":"batch","entry":[{}]}}"#,
        entries
            .iter()
            .map(|e| format!(r#"{{"resource":{e}}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    want.assert_eq(&outline(&ok("b.json", &b)));
}

fn check_ndjson(lines: &[&str], want: Expect) {
    want.assert_eq(&outline(&ok("x.ndjson", &lines.join("\n"))));
}

#[test]
fn immunization_errors() {
    check(
        &[
            r#"{"resourceType":"Immunization"}"#,
            r#"{"resourceType":"Immunization","status":"done","patient":{"display":"x"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx"}]},"occurrenceDateTime":"2021-13-01","protocolApplied":[{"doseNumberPositiveInt":0}]}"#,
            r#"{"resourceType":"Immunization","status":"completed","patient":{"reference":"Practitioner/1"},"vaccineCode":{},"occurrenceDateTime":"2021","protocolApplied":[{"doseNumberString":"first"}]}"#,
            r#"{"resourceType":"Condition"}"#,
            r#"{"id":"x"}"#,
        ],
        expect![[r#"
            Batch
            Bundle.entry[0]: Bundle.entry[0].resource.status: missing
            Bundle.entry[0]: Bundle.entry[0].resource.patient: missing; expected a reference to a Patient
            Bundle.entry[0]: Bundle.entry[0].resource.vaccineCode: missing
            Bundle.entry[0]: Bundle.entry[0].resource.occurrenceDateTime: missing
            Bundle.entry[0]: Bundle.entry[0].resource.protocolApplied: missing; expected the dose number in protocolApplied[0].doseNumberPositiveInt
            Bundle.entry[1]: Bundle.entry[1].resource.status: done is not an immunization status; expected completed, entered-in-error or not-done
            Bundle.entry[1]: Bundle.entry[1].resource.patient: neither a reference nor an identifier
            Bundle.entry[1]: Bundle.entry[1].resource.vaccineCode.coding[0].code: missing
            Bundle.entry[1]: Bundle.entry[1].resource.occurrenceDateTime: not a date; expected YYYY-MM-DD or a dateTime with a timezone offset
            Bundle.entry[1]: Bundle.entry[1].resource.protocolApplied[0].doseNumberPositiveInt: must be at least 1
            Bundle.entry[2]: Bundle.entry[2].resource.patient.reference: refers to a Practitioner; expected a Patient
            Bundle.entry[2]: Bundle.entry[2].resource.vaccineCode.coding: missing; expected at least one coding
            Bundle.entry[2]: Bundle.entry[2].resource.occurrenceDateTime: a partial date is not enough; expected YYYY-MM-DD
            Bundle.entry[2]: Bundle.entry[2].resource.protocolApplied[0].doseNumberString: first is not a dose number
            Bundle.entry[3]: Bundle.entry[3].resource.resourceType: Condition is not accepted here; expected Patient, Immunization, Observation or DiagnosticReport
            Bundle.entry[4]: Bundle.entry[4].resource.resourceType: missing; expected Patient, Immunization, Observation or DiagnosticReport
        "#]],
    );
}

#[test]
fn ndjson_paths_name_the_line() {
    check_ndjson(
        &[
            r#"{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}]},"occurrenceDateTime":"2021-06-01","protocolApplied":[{"doseNumberPositiveInt":1}]}"#,
            r#"{"resourceType":"Condition"}"#,
            "not json",
            r#"{"resourceType":"Immunization","status":"completed","patient":{"reference":"urn:uuid:missing"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}]},"occurrenceDateTime":"2021-06-01","protocolApplied":[{"doseNumberPositiveInt":1}]}"#,
        ],
        expect![[r#"
            Ndjson
            line 1: line 1: Immunization.patient: missing; expected a reference to a Patient
            line 2: line 2: Condition.resourceType: Condition is not accepted here; expected Patient, Immunization, Observation or DiagnosticReport
            line 3: line 3: not JSON: expected ident at column 2
            line 4: line 4: Immunization.patient: urn:uuid:missing is not the fullUrl of any entry of this submission
        "#]],
    );
}

#[test]
fn observation_patient_and_reference_errors() {
    check(
        &[
            r#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"Patient/p1"},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"10828004"}]},"effectiveDateTime":"yesterday","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"94509-7"}]},"valueQuantity":{"value":"high"}}]}"#,
            r#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"Patient/im"},"valueString":"maybe"}"#,
            r#"{"resourceType":"Patient","gender":"f","birthDate":"1990-02","address":[{"extension":[{"url":"urn:fangkong:fhir:StructureDefinition:community-code","valueCode":"4117"}]}]}"#,
            r#"{"resourceType":"Immunization","id":"im","status":"completed","patient":{"reference":"Patient/x"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}]},"occurrenceDateTime":"2021-06-01","protocolApplied":[{"doseNumberPositiveInt":1}]}"#,
            r#"{"resourceType":"DiagnosticReport","code":{"coding":[{"system":"http://loinc.org","code":"94531-1"}]},"subject":{"identifier":{"value":"1"}},"result":[{"reference":"Observation/elsewhere"}]}"#,
        ],
        expect![[r#"
            Batch
            Bundle.entry[0]: Bundle.entry[0].resource.valueCodeableConcept.coding[0].code: http://snomed.info/sct 10828004 is not a lab result; expected SNOMED 260373001 (detected), 260415000 (not detected) or 419984006 (inconclusive)
            Bundle.entry[0]: Bundle.entry[0].resource.component[0].valueQuantity.value: missing; expected the Ct value as a number
            Bundle.entry[0]: Bundle.entry[0].resource.effectiveDateTime: not a date; expected YYYY-MM-DD or a dateTime with a timezone offset
            Bundle.entry[1]: Bundle.entry[1].resource.valueString: maybe is not a lab result; expected detected, not detected or inconclusive
            Bundle.entry[1]: Bundle.entry[1].resource.effectiveDateTime: missing
            Bundle.entry[2]: Bundle.entry[2].resource.name: missing
            Bundle.entry[2]: Bundle.entry[2].resource.gender: not a gender; expected male, female, other or unknown
            Bundle.entry[2]: Bundle.entry[2].resource.birthDate: a partial date is not enough; expected YYYY-MM-DD
            Bundle.entry[2]: Bundle.entry[2].resource.address[0].extension[0].valueCode: expected a 12-digit division code
            Bundle.entry[3]: ok
            Bundle.entry[4]: Bundle.entry[4].resource.subject.identifier.system: missing
            Bundle.entry[4]: Bundle.entry[4].resource.result[0]: not an Observation of this submission; a report's results must be sent with it
        "#]],
    );
}

#[test]
fn entry_and_reference_errors() {
    let imm = |patient: &str| {
        format!(
            r#"{{"resourceType":"Immunization","status":"completed","patient":{patient},"vaccineCode":{{"coding":[{{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}}]}},"occurrenceDateTime":"2021-06-01","protocolApplied":[{{"doseNumberPositiveInt":1}}]}}"#
        )
    };
    let entries = [
        format!(
            r#"{{"fullUrl":"urn:uuid:i","resource":{}}}"#,
            imm(r#"{"reference":"urn:uuid:i"}"#)
        ),
        format!(
            r#"{{"fullUrl":"urn:uuid:i","resource":{}}}"#,
            imm(r#"{"reference":"Patient/1","type":"Group"}"#)
        ),
        r#"{"fullUrl":"urn:uuid:x"}"#.to_string(),
        r#"{"fullUrl":7,"resource":{}}"#.to_string(),
        "3".to_string(),
        format!(r#"{{"resource":{}}}"#, imm(r#""Patient/1""#)),
        format!(r#"{{"resource":{}}}"#, imm(r#"{"reference":"123"}"#)),
    ];
    let b = format!(
        r#"{{"resourceType":"Bundle","type":"transaction","entry":[{}]}}"#,
        entries.join(",")
    );
    expect![[r#"
        Transaction
        Bundle.entry[0]: Bundle.entry[0].resource.patient: refers to Bundle.entry[0] (Immunization); expected a Patient
        Bundle.entry[1]: Bundle.entry[1].resource.patient.type: Group is not a Patient
        Bundle.entry[1]: Bundle.entry[1].fullUrl: the same fullUrl as Bundle.entry[0]
        Bundle.entry[2]: Bundle.entry[2].resource: missing
        Bundle.entry[3]: Bundle.entry[3].fullUrl: expected a non-empty string
        Bundle.entry[4]: Bundle.entry[4]: expected an object
        Bundle.entry[5]: Bundle.entry[5].resource.patient: expected a Reference object
        Bundle.entry[6]: Bundle.entry[6].resource.patient.reference: expected Patient/{id} or a urn:uuid: full URL
    "#]]
    .assert_eq(&outline(&ok("b.json", &b)));
}

#[test]
fn a_too_deep_ndjson_line_is_a_file_error() {
    let deep = format!(
        r#"{{"resourceType":"Patient","x":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    let text = format!("{{\"resourceType\":\"Patient\"}}\n{deep}\n");
    assert_eq!(
        fangkong_fhir::read("x.ndjson", text.as_bytes())
            .unwrap_err()
            .to_string(),
        "x.ndjson: line 2: objects and arrays nested deeper than 32 levels"
    );
}
