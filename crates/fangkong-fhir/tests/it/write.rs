//! The writers' JSON.

use chrono::NaiveDate;
use expect_test::expect;
use fangkong_fhir::*;

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

#[test]
fn condition_outcome_and_responses() {
    let c = CaseOut {
        id: "c1".into(),
        subject: RefOut::Reference("Patient/7".into()),
        class: CaseClass::Asymptomatic,
        clinical_status: ClinicalStatus::Active,
        severity: Some(Severity::Mild),
        onset: None,
        recorded: NaiveDate::from_ymd_opt(2022, 4, 1).unwrap(),
    };
    expect![[r#"
        {
          "category": [
            {
              "coding": [
                {
                  "code": "asymptomatic",
                  "display": "Asymptomatic infection",
                  "system": "urn:fangkong:fhir:CodeSystem:case-class"
                }
              ]
            }
          ],
          "clinicalStatus": {
            "coding": [
              {
                "code": "active",
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical"
              }
            ]
          },
          "code": {
            "coding": [
              {
                "code": "840539006",
                "display": "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)",
                "system": "http://snomed.info/sct"
              }
            ]
          },
          "id": "c1",
          "recordedDate": "2022-04-01",
          "resourceType": "Condition",
          "severity": {
            "coding": [
              {
                "code": "255604002",
                "display": "Mild",
                "system": "http://snomed.info/sct"
              }
            ]
          },
          "subject": {
            "reference": "Patient/7"
          },
          "verificationStatus": {
            "coding": [
              {
                "code": "confirmed",
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status"
              }
            ]
          }
        }"#]]
    .assert_eq(&pretty(&condition_json(&c)));
    let r = batch_response_json(&[
        EntryOutcome {
            status: OutcomeStatus::Created,
            location: Some("Immunization/1".into()),
            issues: vec![],
        },
        EntryOutcome {
            status: OutcomeStatus::BadRequest,
            location: None,
            issues: vec![Issue::new("Bundle.entry[1].resource.patient", "missing")],
        },
    ]);
    expect![[r#"
        {
          "entry": [
            {
              "response": {
                "location": "Immunization/1",
                "status": "201 Created"
              }
            },
            {
              "response": {
                "outcome": {
                  "issue": [
                    {
                      "code": "invalid",
                      "diagnostics": "missing",
                      "expression": [
                        "Bundle.entry[1].resource.patient"
                      ],
                      "severity": "error"
                    }
                  ],
                  "resourceType": "OperationOutcome"
                },
                "status": "400 Bad Request"
              }
            }
          ],
          "resourceType": "Bundle",
          "type": "batch-response"
        }"#]]
    .assert_eq(&pretty(&r));
    assert_eq!(
        transaction_response_json(&[])["type"],
        "transaction-response"
    );
    let s = bundle_json(
        BundleOut::Searchset { total: 9 },
        vec![("Patient/1".into(), serde_json::json!({}))],
    );
    assert_eq!(s["total"], 9);
    assert_eq!(s["entry"][0]["search"]["mode"], "match");
}

#[test]
fn vaccine_table() {
    assert_eq!(
        vaccine_product(CVX, "510").unwrap().fhir_code(),
        "SINOPHARM-BIBP"
    );
    assert_eq!(vaccine_product(CVX, "511").unwrap().primary_doses(), 2);
    assert_eq!(
        vaccine_product(CVX, "507").unwrap().fhir_code(),
        "ZHIFEI-ZF2001"
    );
    assert_eq!(
        vaccine_product(VACCINE_PRODUCT_SYSTEM, "SINOPHARM-WIBP")
            .unwrap()
            .cvx(),
        None
    );
    assert!(vaccine_product(CVX, "208").is_none());
    assert!(vaccine_product(LOINC, "510").is_none());
    let mut codes: Vec<&str> = VACCINE_PRODUCTS.iter().map(|p| p.fhir_code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), VACCINE_PRODUCTS.len());
}
