//! FHIR R4 reading and writing of the resources Fangkong exchanges.
//!
//! A pure crate: bytes in, values out. It never reads the clock, the environment or a file.
//!
//! Reading ([`read`]) accepts a Bundle (`batch`, `transaction`, `collection`), NDJSON (one
//! resource a line, as FHIR bulk data exports write it) or a single resource, and gives a
//! [`Submission`]: one [`Entry`] per resource, each either a validated [`Resource`] or every
//! [`Issue`] found in it, each issue with a FHIRPath-like path
//! (`Bundle.entry[3].resource.vaccineCode.coding[0].code`, `line 4: Immunization.patient`).
//! References between entries (`urn:uuid:` full URLs, `Patient/{id}` of a Patient in the same
//! submission) are resolved to entry indexes through a hash map; references by identifier and to
//! patients outside the submission are handed to the caller as [`SubjectRef`]s to look up.
//! Whole-file problems (not UTF-8, not JSON, a search result bundle, nesting deeper than
//! [`MAX_DEPTH`]) are one [`FileError`].
//!
//! Writing (`*_json`) turns plain `*Out` values into FHIR R4 JSON (`serde_json::Value`).
//!
//! Issue messages follow the project's rule: lowercase, what is wrong, never the personal data
//! itself (no ID number, name, phone or address in a message).
//!
//! Performance: `cargo test -p fangkong-fhir --release -- --ignored million --nocapture`
//! parses an NDJSON of 1 000 000 Immunization lines (405 MB) in 3.6 s of CPU over both cores of
//! the 2-core development machine, and 1 000 000 Observation lines in 5.6 s (details in
//! `tests/it/perf.rs`).

mod read;
mod vaccines;
mod write;

pub use read::{read, FileError, FileErrorKind, MAX_DEPTH};
pub use vaccines::{vaccine_product, VaccineProduct, VACCINE_PRODUCTS};
pub use write::{
    batch_response_json, bundle_json, condition_json, immunization_json, observation_json,
    operation_outcome_json, patient_json, transaction_response_json, BundleOut, CaseClass, CaseOut,
    ClinicalStatus, CodingOut, EntryOutcome, ImmunizationOut, LabObservationOut, OutcomeStatus,
    PatientOut, RefOut, Severity,
};

use chrono::NaiveDate;

/// CDC's vaccine administered code set (CVX).
pub const CVX: &str = fangkong_domain::immunization::CVX_SYSTEM;
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The PRC resident identity card number (GB 11643) as an identifier system: the OID that
/// China's health information sharing documents (WS/T 500 CDA, `患者身份证号标识`) give it.
pub const NATIONAL_ID_SYSTEM: &str = "urn:oid:2.16.156.10011.1.3";
/// Fangkong's own code system of vaccine products, for Chinese COVID-19 vaccines without a CVX
/// code (and, as a second coding, for those with one). Codes are listed in [`VACCINE_PRODUCTS`].
pub const VACCINE_PRODUCT_SYSTEM: &str = fangkong_domain::immunization::PRODUCT_SYSTEM;
/// Extension on `Patient.address`: the 12-digit statistical division code (GB/T 2260 extended
/// to community level) of the person's community, as `valueCode`.
pub const COMMUNITY_EXTENSION: &str = "urn:fangkong:fhir:StructureDefinition:community-code";
/// The code system of Fangkong's case classes (`confirmed`, `asymptomatic`, `suspected`), used in
/// `Condition.category`.
pub const CASE_CLASS_SYSTEM: &str = "urn:fangkong:fhir:CodeSystem:case-class";
/// `http://terminology.hl7.org/CodeSystem/condition-clinical`.
pub const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
/// `http://terminology.hl7.org/CodeSystem/condition-ver-status`.
pub const CONDITION_VER_STATUS: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
/// SNOMED CT 840539006, COVID-19 (disease caused by SARS-CoV-2).
pub const SNOMED_COVID19: &str = "840539006";
/// SNOMED CT 260373001, Detected.
pub const SNOMED_DETECTED: &str = "260373001";
/// SNOMED CT 260415000, Not detected.
pub const SNOMED_NOT_DETECTED: &str = "260415000";
/// SNOMED CT 419984006, Inconclusive.
pub const SNOMED_INCONCLUSIVE: &str = "419984006";
/// LOINC 94500-6, SARS-CoV-2 RNA [Presence] in respiratory specimen by NAA with probe
/// detection: the code written on result Observations.
pub const LOINC_SARS_COV_2_RNA: &str = "94500-6";
/// LOINC 94509-7, SARS-CoV-2 E gene [Cycle Threshold #] by NAA with probe detection: the
/// component (or `valueQuantity` of an Observation with this code) that carries the Ct value.
pub const LOINC_CT: &str = "94509-7";

/// What was read: the kind of file and one entry per resource, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Bundle type, NDJSON or a single resource.
    pub kind: SubmissionKind,
    /// One entry per resource (per bundle entry, per non-blank NDJSON line).
    pub entries: Vec<Entry>,
}

impl Submission {
    /// Every issue of every entry, in entry order.
    pub fn issues(&self) -> impl Iterator<Item = &Issue> {
        self.entries
            .iter()
            .filter_map(|e| e.resource.as_ref().err())
            .flatten()
    }

    /// The valid resources with their entry indexes (the indexes [`SubjectRef::Entry`] and
    /// [`LabReport::results`] use).
    pub fn resources(&self) -> impl Iterator<Item = (usize, &Resource)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.resource.as_ref().ok().map(|r| (i, r)))
    }
}

impl Resource {
    /// The resource's path (`Bundle.entry[0].resource`, `line 3: Immunization`).
    pub fn path(&self) -> &str {
        match self {
            Resource::Patient(r) => &r.path,
            Resource::Immunization(r) => &r.path,
            Resource::Observation(r) => &r.path,
            Resource::DiagnosticReport(r) => &r.path,
        }
    }

    /// `Resource.id`.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(r) => r.id.as_deref(),
            Resource::Immunization(r) => r.id.as_deref(),
            Resource::Observation(r) => r.id.as_deref(),
            Resource::DiagnosticReport(r) => r.id.as_deref(),
        }
    }
}

/// The kind of file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// A Bundle of type `batch`: each entry stands alone.
    Batch,
    /// A Bundle of type `transaction`: all entries or none.
    Transaction,
    /// A Bundle of type `collection`.
    Collection,
    /// Newline-delimited JSON, one resource a line.
    Ndjson,
    /// One resource.
    Single,
}

/// One resource of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where it is: `Bundle.entry[3]`, `line 4`, or `resource` for a single-resource file.
    pub location: String,
    /// `Bundle.entry.fullUrl`, if given.
    pub full_url: Option<String>,
    /// The validated resource, or every problem found in it.
    pub resource: Result<Resource, Vec<Issue>>,
}

/// One problem of a resource: where (a FHIRPath-like path) and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issue {
    /// `Bundle.entry[3].resource.vaccineCode.coding[0].code` or `line 4: Immunization.patient`.
    pub path: String,
    /// What is wrong: lowercase, never the personal data itself.
    pub message: String,
}

impl Issue {
    /// Builds an issue from its parts.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A validated resource of one of the accepted types.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// A person.
    Patient(Patient),
    /// A vaccination.
    Immunization(Immunization),
    /// A laboratory result.
    Observation(LabObservation),
    /// A laboratory report grouping results.
    DiagnosticReport(LabReport),
}

/// Whom a resource is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRef {
    /// Another entry of the same submission (a Patient), by index into `Submission::entries`:
    /// resolved from a `fullUrl` (`urn:uuid:…`) or from `Patient/{id}` of a Patient entry.
    Entry(usize),
    /// `Reference.identifier`, for example the national ID number ([`NATIONAL_ID_SYSTEM`]).
    Identifier {
        /// The identifier system.
        system: String,
        /// The identifier value.
        value: String,
    },
    /// `Patient/{id}` of a patient not in the submission: the `{id}` (the registry's person id
    /// as text), without the `Patient/` prefix.
    Literal(String),
}

/// A coding with the path where it was found, so a caller can reject an unknown code by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodingAt {
    /// `Coding.system`.
    pub system: String,
    /// `Coding.code`.
    pub code: String,
    /// `Coding.display`.
    pub display: Option<String>,
    /// The path of this coding, e.g. `Bundle.entry[0].resource.vaccineCode.coding[1]`.
    pub path: String,
}

/// Administrative sex, from `Patient.gender`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `male`.
    Male,
    /// `female`.
    Female,
    /// `other`.
    Other,
    /// `unknown`.
    Unknown,
}

impl Sex {
    /// The FHIR `gender` code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
}

/// A person read from a Patient resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// `Patient.id`.
    pub id: Option<String>,
    /// The `identifier` with [`NATIONAL_ID_SYSTEM`], as given (not checked here).
    pub id_number: Option<String>,
    /// `name[0].text`, else family name followed by given names.
    pub name: String,
    /// From `gender`.
    pub sex: Option<Sex>,
    /// `birthDate` (a full date).
    pub birth_date: Option<NaiveDate>,
    /// The first `telecom` with system `phone`.
    pub phone: Option<String>,
    /// `address[0].text`.
    pub address_text: Option<String>,
    /// The [`COMMUNITY_EXTENSION`] of `address[0]`: a 12-digit division code.
    pub community_code: Option<String>,
    /// The path of the resource (`Bundle.entry[0].resource`, `line 1: Patient`).
    pub path: String,
}

/// `Immunization.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImmunizationStatus {
    /// `completed`.
    Completed,
    /// `entered-in-error`.
    EnteredInError,
    /// `not-done`.
    NotDone,
}

impl ImmunizationStatus {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            ImmunizationStatus::Completed => "completed",
            ImmunizationStatus::EnteredInError => "entered-in-error",
            ImmunizationStatus::NotDone => "not-done",
        }
    }
}

/// A vaccination read from an Immunization resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Immunization {
    /// `Immunization.id`.
    pub id: Option<String>,
    /// `identifier[0]` as (system, value), e.g. the vaccination record number of the clinic.
    pub identifier: Option<(String, String)>,
    /// `status`.
    pub status: ImmunizationStatus,
    /// `patient`.
    pub subject: SubjectRef,
    /// The path of `patient`, for errors found when looking the subject up.
    pub subject_path: String,
    /// `vaccineCode.coding`, at least one.
    pub vaccine: Vec<CodingAt>,
    /// `occurrenceDateTime`: a date, or a date-time converted to China Standard Time (+08:00).
    pub occurrence: NaiveDate,
    /// `lotNumber`.
    pub lot: Option<String>,
    /// `protocolApplied[0].doseNumberPositiveInt`, or `doseNumberString` parsed; at least 1.
    pub dose_number: u32,
    /// `location.display`, else `performer[0].actor.display`.
    pub site: Option<String>,
    /// The path of the resource.
    pub path: String,
}

/// A laboratory result's interpretation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabResult {
    /// SNOMED 260373001; `valueString` `detected`, `positive`, `阳性`.
    Detected,
    /// SNOMED 260415000; `valueString` `not detected`, `negative`, `阴性`.
    NotDetected,
    /// SNOMED 419984006; `valueString` `inconclusive`, `不确定`, `可疑`.
    Inconclusive,
}

impl LabResult {
    /// The SNOMED CT code.
    pub fn snomed(self) -> &'static str {
        match self {
            LabResult::Detected => SNOMED_DETECTED,
            LabResult::NotDetected => SNOMED_NOT_DETECTED,
            LabResult::Inconclusive => SNOMED_INCONCLUSIVE,
        }
    }

    /// The SNOMED CT display.
    pub fn display(self) -> &'static str {
        match self {
            LabResult::Detected => "Detected",
            LabResult::NotDetected => "Not detected",
            LabResult::Inconclusive => "Inconclusive",
        }
    }
}

/// A laboratory result read from an Observation.
#[derive(Debug, Clone, PartialEq)]
pub struct LabObservation {
    /// `Observation.id`.
    pub id: Option<String>,
    /// `subject`.
    pub subject: SubjectRef,
    /// The path of `subject`.
    pub subject_path: String,
    /// `code.coding`, at least one.
    pub code: Vec<CodingAt>,
    /// From `valueCodeableConcept` (SNOMED) or `valueString`.
    pub result: LabResult,
    /// The Ct value: a `component` coded LOINC [`LOINC_CT`] with a `valueQuantity`.
    pub ct: Option<f64>,
    /// The tube code: `specimen.identifier.value`, else `specimen.display`.
    pub specimen_id: Option<String>,
    /// `effectiveDateTime` / `effectiveInstant` / `effectivePeriod.start` as UTC epoch
    /// milliseconds (a date alone is midnight China Standard Time).
    pub effective_ms: i64,
    /// `performer[0].display`.
    pub performer: Option<String>,
    /// The path of the resource.
    pub path: String,
}

/// A laboratory report read from a DiagnosticReport.
#[derive(Debug, Clone, PartialEq)]
pub struct LabReport {
    /// `DiagnosticReport.id`.
    pub id: Option<String>,
    /// `subject`.
    pub subject: SubjectRef,
    /// The path of `subject`.
    pub subject_path: String,
    /// `code.coding`, at least one.
    pub code: Vec<CodingAt>,
    /// The entries (Observations of the same submission) that `result` references.
    pub results: Vec<usize>,
    /// `conclusion`.
    pub conclusion: Option<String>,
    /// `effectiveDateTime` as UTC epoch milliseconds.
    pub effective_ms: Option<i64>,
    /// The path of the resource.
    pub path: String,
}
