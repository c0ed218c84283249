//! Writing: plain `*Out` values → FHIR R4 JSON.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use crate::{
    ImmunizationStatus, Issue, LabResult, Sex, CASE_CLASS_SYSTEM, COMMUNITY_EXTENSION,
    CONDITION_CLINICAL, CONDITION_VER_STATUS, LOINC, LOINC_CT, NATIONAL_ID_SYSTEM, SNOMED,
    SNOMED_COVID19,
};

/// A coding to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodingOut {
    /// `Coding.system`.
    pub system: String,
    /// `Coding.code`.
    pub code: String,
    /// `Coding.display`.
    pub display: Option<String>,
}

/// A reference to write: `Reference.reference` or `Reference.identifier`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefOut {
    /// `Patient/123` or `urn:uuid:…`.
    Reference(String),
    /// By identifier, e.g. ([`NATIONAL_ID_SYSTEM`], masked number).
    Identifier {
        /// The identifier system.
        system: String,
        /// The identifier value.
        value: String,
    },
}

/// A person to write as a Patient.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatientOut {
    /// `Patient.id`.
    pub id: String,
    /// The national ID number, masked or full as the caller decides.
    pub id_number: Option<String>,
    /// The name, written as `name[0].text`.
    pub name: String,
    /// `gender`.
    pub sex: Option<Sex>,
    /// `birthDate`.
    pub birth_date: Option<NaiveDate>,
    /// `telecom` phone.
    pub phone: Option<String>,
    /// `address[0].text`.
    pub address_text: Option<String>,
    /// The 12-digit community code, as the [`COMMUNITY_EXTENSION`] of `address[0]`.
    pub community_code: Option<String>,
}

/// A vaccination to write as an Immunization.
#[derive(Debug, Clone, PartialEq)]
pub struct ImmunizationOut {
    /// `Immunization.id`.
    pub id: String,
    /// `identifier[0]` (system, value).
    pub identifier: Option<(String, String)>,
    /// `status`.
    pub status: ImmunizationStatus,
    /// `patient`.
    pub patient: RefOut,
    /// `vaccineCode.coding`.
    pub vaccine: Vec<CodingOut>,
    /// `occurrenceDateTime` (a date).
    pub occurrence: NaiveDate,
    /// `lotNumber`.
    pub lot: Option<String>,
    /// `protocolApplied[0].doseNumberPositiveInt`.
    pub dose_number: u32,
    /// `location.display`.
    pub site: Option<String>,
}

/// A laboratory result to write as an Observation.
#[derive(Debug, Clone, PartialEq)]
pub struct LabObservationOut {
    /// `Observation.id`.
    pub id: String,
    /// `subject`.
    pub subject: RefOut,
    /// `code.coding`; empty writes LOINC 94500-6 (SARS-CoV-2 RNA, NAA with probe).
    pub code: Vec<CodingOut>,
    /// `valueCodeableConcept` (SNOMED).
    pub result: LabResult,
    /// The Ct value, as a component coded LOINC [`LOINC_CT`].
    pub ct: Option<f64>,
    /// The tube code, as `specimen.identifier.value` and `specimen.display`.
    pub specimen_id: Option<String>,
    /// `effectiveDateTime`, UTC epoch milliseconds (written in +08:00).
    pub effective_ms: i64,
    /// `performer[0].display`.
    pub performer: Option<String>,
}

/// A case's class, written as `Condition.category` in [`CASE_CLASS_SYSTEM`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseClass {
    /// A confirmed case (verificationStatus `confirmed`).
    Confirmed,
    /// An asymptomatic infection (verificationStatus `confirmed`).
    Asymptomatic,
    /// A suspected case (verificationStatus `provisional`).
    Suspected,
}

impl CaseClass {
    fn code(self) -> (&'static str, &'static str) {
        match self {
            CaseClass::Confirmed => ("confirmed", "Confirmed case"),
            CaseClass::Asymptomatic => ("asymptomatic", "Asymptomatic infection"),
            CaseClass::Suspected => ("suspected", "Suspected case"),
        }
    }
}

/// A case's severity, written as `Condition.severity` (SNOMED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// SNOMED 255604002 Mild.
    Mild,
    /// SNOMED 6736007 Moderate.
    Moderate,
    /// SNOMED 24484000 Severe.
    Severe,
    /// SNOMED 442452003 Life threatening severity (critical).
    Critical,
}

impl Severity {
    fn snomed(self) -> (&'static str, &'static str) {
        match self {
            Severity::Mild => ("255604002", "Mild"),
            Severity::Moderate => ("6736007", "Moderate"),
            Severity::Severe => ("24484000", "Severe"),
            Severity::Critical => ("442452003", "Life threatening severity"),
        }
    }
}

/// `Condition.clinicalStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClinicalStatus {
    /// `active`.
    Active,
    /// `resolved` (recovered, discharged).
    Resolved,
    /// `inactive` (e.g. died, or closed otherwise).
    Inactive,
}

/// A case to write as a Condition (SNOMED 840539006 COVID-19).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOut {
    /// `Condition.id`.
    pub id: String,
    /// `subject`.
    pub subject: RefOut,
    /// The class: `category` and `verificationStatus`.
    pub class: CaseClass,
    /// `clinicalStatus`.
    pub clinical_status: ClinicalStatus,
    /// `severity`.
    pub severity: Option<Severity>,
    /// `onsetDateTime` (a date).
    pub onset: Option<NaiveDate>,
    /// `recordedDate`.
    pub recorded: NaiveDate,
}

/// The kind of Bundle to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleOut {
    /// `collection`.
    Collection,
    /// `searchset` with `total` (entries get `search.mode = match`).
    Searchset {
        /// The number of matches in all pages.
        total: u64,
    },
}

/// The HTTP status of one entry of a batch or transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    /// `201 Created`.
    Created,
    /// `200 OK` (updated, or unchanged).
    Ok,
    /// `400 Bad Request`.
    BadRequest,
    /// `404 Not Found` (e.g. an unknown patient).
    NotFound,
    /// `409 Conflict`.
    Conflict,
}

impl OutcomeStatus {
    /// The `response.status` text.
    pub fn text(self) -> &'static str {
        match self {
            OutcomeStatus::Created => "201 Created",
            OutcomeStatus::Ok => "200 OK",
            OutcomeStatus::BadRequest => "400 Bad Request",
            OutcomeStatus::NotFound => "404 Not Found",
            OutcomeStatus::Conflict => "409 Conflict",
        }
    }
}

/// The outcome of one entry of a batch or transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryOutcome {
    /// `response.status`.
    pub status: OutcomeStatus,
    /// `response.location`, e.g. `Immunization/42`.
    pub location: Option<String>,
    /// The problems, written as `response.outcome` (omitted when empty).
    pub issues: Vec<Issue>,
}

fn coding(c: &CodingOut) -> Value {
    let mut m = Map::new();
    m.insert("system".into(), json!(c.system));
    m.insert("code".into(), json!(c.code));
    if let Some(d) = &c.display {
        m.insert("display".into(), json!(d));
    }
    Value::Object(m)
}

fn reference(r: &RefOut) -> Value {
    match r {
        RefOut::Reference(s) => json!({ "reference": s }),
        RefOut::Identifier { system, value } => {
            json!({ "type": "Patient", "identifier": { "system": system, "value": value } })
        }
    }
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.into(), v);
    }
}

fn date(d: NaiveDate) -> Value {
    json!(d.format("%Y-%m-%d").to_string())
}

/// A Patient: id, identifier (the national ID as given), name, gender, birthDate, telecom,
/// address with the community extension.
pub fn patient_json(p: &PatientOut) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Patient"));
    m.insert("id".into(), json!(p.id));
    put(
        &mut m,
        "identifier",
        p.id_number
            .as_ref()
            .map(|n| json!([{ "system": NATIONAL_ID_SYSTEM, "value": n }])),
    );
    m.insert("name".into(), json!([{ "text": p.name }]));
    put(
        &mut m,
        "telecom",
        p.phone
            .as_ref()
            .map(|t| json!([{ "system": "phone", "value": t }])),
    );
    put(&mut m, "gender", p.sex.map(|s| json!(s.code())));
    put(&mut m, "birthDate", p.birth_date.map(date));
    if p.address_text.is_some() || p.community_code.is_some() {
        let mut a = Map::new();
        put(
            &mut a,
            "extension",
            p.community_code
                .as_ref()
                .map(|c| json!([{ "url": COMMUNITY_EXTENSION, "valueCode": c }])),
        );
        put(&mut a, "text", p.address_text.as_ref().map(|t| json!(t)));
        m.insert("address".into(), json!([Value::Object(a)]));
    }
    Value::Object(m)
}

/// An Immunization.
pub fn immunization_json(i: &ImmunizationOut) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Immunization"));
    m.insert("id".into(), json!(i.id));
    put(
        &mut m,
        "identifier",
        i.identifier
            .as_ref()
            .map(|(s, v)| json!([{ "system": s, "value": v }])),
    );
    m.insert("status".into(), json!(i.status.code()));
    m.insert(
        "vaccineCode".into(),
        json!({ "coding": i.vaccine.iter().map(coding).collect::<Vec<_>>() }),
    );
    m.insert("patient".into(), reference(&i.patient));
    m.insert("occurrenceDateTime".into(), date(i.occurrence));
    put(
        &mut m,
        "location",
        i.site.as_ref().map(|s| json!({ "display": s })),
    );
    put(&mut m, "lotNumber", i.lot.as_ref().map(|l| json!(l)));
    m.insert(
        "protocolApplied".into(),
        json!([{ "doseNumberPositiveInt": i.dose_number }]),
    );
    Value::Object(m)
}

fn moment(ms: i64) -> Value {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let t = t.with_timezone(&crate::read::cst());
    json!(t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
}

/// An Observation (a laboratory result).
pub fn observation_json(o: &LabObservationOut) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Observation"));
    m.insert("id".into(), json!(o.id));
    m.insert("status".into(), json!("final"));
    m.insert(
        "category".into(),
        json!([{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory"
        }] }]),
    );
    let codes: Vec<Value> = if o.code.is_empty() {
        vec![
            json!({ "system": LOINC, "code": crate::LOINC_SARS_COV_2_RNA,
            "display": "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection" }),
        ]
    } else {
        o.code.iter().map(coding).collect()
    };
    m.insert("code".into(), json!({ "coding": codes }));
    m.insert("subject".into(), reference(&o.subject));
    m.insert("effectiveDateTime".into(), moment(o.effective_ms));
    put(
        &mut m,
        "performer",
        o.performer.as_ref().map(|p| json!([{ "display": p }])),
    );
    m.insert(
        "valueCodeableConcept".into(),
        json!({ "coding": [{ "system": SNOMED, "code": o.result.snomed(), "display": o.result.display() }] }),
    );
    put(
        &mut m,
        "specimen",
        o.specimen_id
            .as_ref()
            .map(|s| json!({ "identifier": { "value": s }, "display": s })),
    );
    put(
        &mut m,
        "component",
        o.ct.map(|ct| {
            json!([{
                "code": { "coding": [{ "system": LOINC, "code": LOINC_CT,
                    "display": "SARS coronavirus 2 E gene [Cycle Threshold #] in Unspecified specimen by NAA with probe detection" }] },
                "valueQuantity": { "value": ct, "unit": "{Ct}", "system": "http://unitsofmeasure.org", "code": "{Ct}" }
            }])
        }),
    );
    Value::Object(m)
}

/// A case as a Condition: SNOMED 840539006 COVID-19, clinicalStatus, verificationStatus
/// (`confirmed` for confirmed and asymptomatic, `provisional` for suspected), the class as a
/// category in [`CASE_CLASS_SYSTEM`], severity (SNOMED), onsetDateTime, recordedDate, subject.
pub fn condition_json(c: &CaseOut) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!("Condition"));
    m.insert("id".into(), json!(c.id));
    let clinical = match c.clinical_status {
        ClinicalStatus::Active => "active",
        ClinicalStatus::Resolved => "resolved",
        ClinicalStatus::Inactive => "inactive",
    };
    m.insert(
        "clinicalStatus".into(),
        json!({ "coding": [{ "system": CONDITION_CLINICAL, "code": clinical }] }),
    );
    let verification = match c.class {
        CaseClass::Suspected => "provisional",
        CaseClass::Confirmed | CaseClass::Asymptomatic => "confirmed",
    };
    m.insert(
        "verificationStatus".into(),
        json!({ "coding": [{ "system": CONDITION_VER_STATUS, "code": verification }] }),
    );
    let (class, class_display) = c.class.code();
    m.insert(
        "category".into(),
        json!([{ "coding": [{ "system": CASE_CLASS_SYSTEM, "code": class, "display": class_display }] }]),
    );
    put(
        &mut m,
        "severity",
        c.severity.map(|s| {
            let (code, display) = s.snomed();
            json!({ "coding": [{ "system": SNOMED, "code": code, "display": display }] })
        }),
    );
    m.insert(
        "code".into(),
        json!({ "coding": [{ "system": SNOMED, "code": SNOMED_COVID19,
            "display": "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)" }] }),
    );
    m.insert("subject".into(), reference(&c.subject));
    put(&mut m, "onsetDateTime", c.onset.map(date));
    m.insert("recordedDate".into(), date(c.recorded));
    Value::Object(m)
}

/// A Bundle of `(fullUrl, resource)` entries.
pub fn bundle_json(kind: BundleOut, entries: Vec<(String, Value)>) -> Value {
    let search = matches!(kind, BundleOut::Searchset { .. });
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|(url, r)| {
            if search {
                json!({ "fullUrl": url, "resource": r, "search": { "mode": "match" } })
            } else {
                json!({ "fullUrl": url, "resource": r })
            }
        })
        .collect();
    match kind {
        BundleOut::Collection => {
            json!({ "resourceType": "Bundle", "type": "collection", "entry": entries })
        }
        BundleOut::Searchset { total } => {
            json!({ "resourceType": "Bundle", "type": "searchset", "total": total, "entry": entries })
        }
    }
}

fn response_bundle(kind: &str, results: &[EntryOutcome]) -> Value {
    let entries: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut resp = Map::new();
            resp.insert("status".into(), json!(r.status.text()));
            put(&mut resp, "location", r.location.as_ref().map(|l| json!(l)));
            if !r.issues.is_empty() {
                resp.insert("outcome".into(), operation_outcome_json(&r.issues));
            }
            json!({ "response": Value::Object(resp) })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": kind, "entry": entries })
}

/// A Bundle of type `batch-response`: one entry per request entry, in order.
pub fn batch_response_json(results: &[EntryOutcome]) -> Value {
    response_bundle("batch-response", results)
}

/// A Bundle of type `transaction-response`: one entry per request entry, in order.
pub fn transaction_response_json(results: &[EntryOutcome]) -> Value {
    response_bundle("transaction-response", results)
}

/// An OperationOutcome: per issue severity `error`, code `invalid`, `diagnostics` the message
/// and `expression` the path.
pub fn operation_outcome_json(issues: &[Issue]) -> Value {
    let issues: Vec<Value> = issues
        .iter()
        .map(|i| {
            json!({
                "severity": "error",
                "code": "invalid",
                "diagnostics": i.message,
                "expression": [i.path],
            })
        })
        .collect();
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}
