//! FHIR R4 interchange: importing `Patient`, `Immunization`, `Observation` (lab results)
//! and `DiagnosticReport` resources from a Bundle or NDJSON, and reading patients, cases
//! (`Condition`), lab results and immunizations back as resources and Bundles.
//!
//! Parsing and writing JSON is `fangkong-fhir`'s; this module decides what a resource means
//! for the registry and the capabilities, with the same permissions and jurisdiction checks
//! as every other path: a Patient is a person (`persons.write`), an Immunization a dose
//! (`immunization.write`), an Observation a tube result (`testing.submit`).
//!
//! Semantics follow FHIR: a `transaction` is all or nothing (every entry is checked before
//! anything is written; one refused entry refuses the bundle, with every issue at its JSON
//! path); a `batch`, a `collection`, an NDJSON file and a single resource apply each valid
//! entry and answer each refused one with its issues. Writes go in the order patients, doses,
//! results, each in its own store transaction; a transaction whose entries all passed the
//! checks can only be cut short by the database failing between those writes. Re-sending
//! changes nothing: patients match by ID number, doses by (person, dose number), results by
//! (tube, outcome, lab, time).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use fangkong_domain::immunization::{Dose, VaccineProduct};
use fangkong_domain::{CaseClass, Document, JurisdictionCode, NationalId, Permission, PhoneNumber};
use fangkong_fhir::{
    EntryOutcome, Issue, LabResult, OutcomeStatus, Resource, SubjectRef, SubmissionKind,
    NATIONAL_ID_SYSTEM,
};
use fangkong_ingest::FileErrors;
use fangkong_store::immunization::{NewDose, StoredDose};
use fangkong_store::persons::{NewPerson, Person};
use fangkong_store::testing::{PersonResult, ResultRow};
use serde_json::Value;

use crate::{Actor, App, Error, Result};

/// LOINC codes of SARS-CoV-2 RNA tests by nucleic-acid amplification accepted for lab
/// results (94500-6 is the one written).
pub const SARS_COV_2_NAAT: [&str; 7] = [
    "94500-6", "94309-2", "94533-7", "94534-5", "94756-4", "94757-2", "94845-5",
];
/// The most resources an export holds.
pub const MAX_EXPORT_RESOURCES: i64 = 100_000;

/// What an import did, entry by entry.
#[derive(Debug, Clone)]
pub struct FhirImport {
    pub kind: SubmissionKind,
    /// Whether anything was written (a refused transaction writes nothing).
    pub applied: bool,
    /// One outcome per entry, in order.
    pub outcomes: Vec<EntryOutcome>,
    pub patients: u64,
    pub doses: u64,
    pub results: u64,
}

impl FhirImport {
    /// Every issue of every entry.
    pub fn issues(&self) -> Vec<Issue> {
        self.outcomes
            .iter()
            .flat_map(|o| o.issues.iter().cloned())
            .collect()
    }
}

fn issue(path: &str, message: impl Into<String>) -> Issue {
    Issue {
        path: path.to_string(),
        message: message.into(),
    }
}

/// How an Immunization's or Observation's subject is found.
enum Subject {
    /// A Patient entry of the same submission (index).
    Entry(usize),
    Document(Document),
    Person(i64),
}

struct DoseEntry {
    entry: usize,
    subject: Subject,
    dose: Dose,
    lot: Option<String>,
    site: Option<String>,
    fhir_id: Option<String>,
    remove: bool,
}

struct ResultEntry {
    entry: usize,
    row: ResultRow,
}

impl App {
    /// Imports FHIR resources (a Bundle of type batch, transaction or collection, NDJSON, or
    /// one resource) with FHIR's batch and transaction semantics.
    ///
    /// # Errors
    /// `Import` when the file is not FHIR JSON at all (nothing is applied); store failures.
    #[allow(clippy::too_many_lines)]
    pub async fn import_fhir(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<FhirImport> {
        if ![
            Permission::PersonsWrite,
            Permission::ImmunizationWrite,
            Permission::TestingSubmit,
        ]
        .iter()
        .any(|p| actor.scope.can(*p))
        {
            return Err(Error::Forbidden);
        }
        let submission = fangkong_fhir::read(file_name, bytes).map_err(|e| {
            let reason = if e.at.is_empty() {
                e.reason.clone()
            } else {
                format!("{}: {}", e.at, e.reason)
            };
            Error::Import(FileErrors::whole_file(file_name, reason))
        })?;
        let n = submission.entries.len();
        let mut issues: Vec<Vec<Issue>> = submission
            .entries
            .iter()
            .map(|e| e.resource.as_ref().err().cloned().unwrap_or_default())
            .collect();
        let mut not_found = vec![false; n];
        let today = self.today();
        let now_ms = self.now_ms();
        let persons_store = self.store().persons();

        // Check every resource.
        let mut patients: Vec<(usize, NewPerson)> = Vec::new();
        let mut doses: Vec<DoseEntry> = Vec::new();
        let mut results: Vec<ResultEntry> = Vec::new();
        let mut observation_entries: Vec<usize> = Vec::new();
        let denied = |p: Permission, what: &str| {
            format!("not permitted to import {what} (needs {})", p.as_str())
        };
        for (i, resource) in submission.resources() {
            let bad = &mut issues[i];
            match resource {
                Resource::Patient(p) => {
                    if !actor.scope.can(Permission::PersonsWrite) {
                        bad.push(issue(&p.path, denied(Permission::PersonsWrite, "patients")));
                        continue;
                    }
                    let path = |f: &str| format!("{}.{f}", p.path);
                    let id = match p.id_number.as_deref().map(NationalId::parse) {
                        Some(Ok(id)) => Some(id),
                        Some(Err(e)) => {
                            bad.push(issue(
                                &path("identifier"),
                                fangkong_ingest::fever::id_number_reason(&e),
                            ));
                            None
                        }
                        None => {
                            bad.push(issue(
                                &path("identifier"),
                                format!("an identifier with system {NATIONAL_ID_SYSTEM} (the national ID number) is required"),
                            ));
                            None
                        }
                    };
                    let sex = match p.sex {
                        Some(fangkong_fhir::Sex::Male) => Some(fangkong_domain::Sex::Male),
                        Some(fangkong_fhir::Sex::Female) => Some(fangkong_domain::Sex::Female),
                        _ => id.as_ref().map(NationalId::sex),
                    };
                    let birth = p
                        .birth_date
                        .or_else(|| id.as_ref().map(NationalId::birth_date));
                    let community = match p.community_code.as_deref().map(JurisdictionCode::parse) {
                        Some(Ok(c)) if !actor.scope.covers(c.as_str()) => {
                            bad.push(issue(
                                &path("address"),
                                "the community lies outside your jurisdiction",
                            ));
                            None
                        }
                        Some(Ok(c)) => Some(c),
                        Some(Err(e)) => {
                            bad.push(issue(&path("address"), format!("community code: {e}")));
                            None
                        }
                        None => {
                            bad.push(issue(
                                &path("address"),
                                "the community code extension of address[0] is required",
                            ));
                            None
                        }
                    };
                    if p.name.trim().is_empty() {
                        bad.push(issue(&path("name"), "a name is required"));
                    }
                    let phone = match p.phone.as_deref().map(PhoneNumber::parse) {
                        Some(Ok(ph)) => Some(ph),
                        Some(Err(_)) => {
                            bad.push(issue(
                                &path("telecom"),
                                "not a mainland mobile or landline number",
                            ));
                            None
                        }
                        None => None,
                    };
                    if let (Some(id), Some(sex), Some(birth), Some(community), true) =
                        (id, sex, birth, community, bad.is_empty())
                    {
                        patients.push((
                            i,
                            NewPerson {
                                document: Document::MainlandId(id),
                                name: p.name.trim().to_string(),
                                sex,
                                birth_date: birth,
                                phone,
                                address: p.address_text.clone(),
                                community_code: community,
                                household_id: None,
                                workplace_id: None,
                                school_id: None,
                                occupation: None,
                                tags: Vec::new(),
                                synthetic: false,
                            },
                        ));
                    }
                }
                Resource::Immunization(im) => {
                    if !actor.scope.can(Permission::ImmunizationWrite) {
                        bad.push(issue(
                            &im.path,
                            denied(Permission::ImmunizationWrite, "immunizations"),
                        ));
                        continue;
                    }
                    let product = im
                        .vaccine
                        .iter()
                        .find_map(|c| VaccineProduct::from_coding(&c.system, &c.code));
                    if product.is_none() {
                        let at = im.vaccine.first().map_or_else(
                            || format!("{}.vaccineCode", im.path),
                            |c| format!("{}.code", c.path),
                        );
                        bad.push(issue(
                            &at,
                            format!(
                                "unknown vaccine code; expected a CVX code of a vaccine used in China or a code of {}",
                                fangkong_domain::immunization::PRODUCT_SYSTEM
                            ),
                        ));
                    }
                    if im.dose_number > fangkong_ingest::immunization::MAX_DOSE {
                        bad.push(issue(
                            &format!("{}.protocolApplied[0].doseNumberPositiveInt", im.path),
                            format!(
                                "must be at most {}",
                                fangkong_ingest::immunization::MAX_DOSE
                            ),
                        ));
                    }
                    if im.occurrence > today {
                        bad.push(issue(
                            &format!("{}.occurrenceDateTime", im.path),
                            "is in the future",
                        ));
                    }
                    let subject = subject_of(&im.subject, &im.subject_path, &submission, bad);
                    if im.status == fangkong_fhir::ImmunizationStatus::NotDone {
                        continue;
                    }
                    if let (Some(product), Some(subject), true) = (product, subject, bad.is_empty())
                    {
                        doses.push(DoseEntry {
                            entry: i,
                            subject,
                            dose: Dose {
                                number: im.dose_number,
                                product,
                                on: im.occurrence,
                            },
                            lot: im.lot.clone(),
                            site: im.site.clone(),
                            fhir_id: im.id.clone(),
                            remove: im.status == fangkong_fhir::ImmunizationStatus::EnteredInError,
                        });
                    }
                }
                Resource::Observation(o) => {
                    observation_entries.push(i);
                    if !actor.scope.can(Permission::TestingSubmit) {
                        bad.push(issue(
                            &o.path,
                            denied(Permission::TestingSubmit, "lab results"),
                        ));
                        continue;
                    }
                    if !o.code.iter().any(|c| {
                        c.system == fangkong_fhir::LOINC
                            && SARS_COV_2_NAAT.contains(&c.code.as_str())
                    }) {
                        let at = o.code.first().map_or_else(
                            || format!("{}.code", o.path),
                            |c| format!("{}.code", c.path),
                        );
                        bad.push(issue(
                            &at,
                            format!(
                                "unknown test code; expected a LOINC SARS-CoV-2 RNA test ({})",
                                SARS_COV_2_NAAT.join(", ")
                            ),
                        ));
                    }
                    let _ = subject_of(&o.subject, &o.subject_path, &submission, bad);
                    let Some(tube) = o.specimen_id.clone().filter(|t| !t.trim().is_empty()) else {
                        bad.push(issue(
                            &format!("{}.specimen", o.path),
                            "the tube code (specimen.identifier.value) is required",
                        ));
                        continue;
                    };
                    if bad.is_empty() {
                        results.push(ResultEntry {
                            entry: i,
                            row: ResultRow {
                                tube_code: tube.trim().to_string(),
                                outcome: match o.result {
                                    LabResult::Detected => "positive",
                                    LabResult::NotDetected => "negative",
                                    LabResult::Inconclusive => "inconclusive",
                                }
                                .to_string(),
                                ct_orf1ab: None,
                                ct_n: o.ct,
                                lab_code: o.performer.clone().unwrap_or_else(|| "fhir".to_string()),
                                tested_at_ms: o.effective_ms,
                                reported_at_ms: o.effective_ms,
                            },
                        });
                    }
                }
                Resource::DiagnosticReport(r) => {
                    if !actor.scope.can(Permission::TestingSubmit) {
                        bad.push(issue(
                            &r.path,
                            denied(Permission::TestingSubmit, "lab reports"),
                        ));
                        continue;
                    }
                    let _ = subject_of(&r.subject, &r.subject_path, &submission, bad);
                }
            }
        }

        // Subjects that name registered persons must exist in the scope now; those naming a
        // Patient entry must name one that passed.
        let documents: Vec<&Document> = doses
            .iter()
            .filter_map(|d| match &d.subject {
                Subject::Document(doc) => Some(doc),
                _ => None,
            })
            .collect();
        let found = self.resolve_documents(documents.into_iter()).await?;
        // Only persons in the actor's jurisdiction can be named.
        let mut ids: Vec<i64> = found.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut visible = std::collections::HashSet::new();
        for chunk in ids.chunks(1000) {
            visible.extend(
                persons_store
                    .find_many(&actor.scope, chunk)
                    .await?
                    .into_iter()
                    .map(|p| p.id),
            );
        }
        let mut found = found
            .into_iter()
            .map(|id| id.filter(|id| visible.contains(id)));
        let mut person_of: HashMap<usize, i64> = HashMap::new();
        for d in &doses {
            let ok = match &d.subject {
                Subject::Entry(p) => issues[*p].is_empty(),
                Subject::Document(_) => match found.next().flatten() {
                    Some(id) => {
                        person_of.insert(d.entry, id);
                        true
                    }
                    None => false,
                },
                Subject::Person(id) => {
                    let visible = persons_store.find(&actor.scope, *id).await.is_ok();
                    if visible {
                        person_of.insert(d.entry, *id);
                    }
                    visible
                }
            };
            if !ok {
                not_found[d.entry] = true;
                issues[d.entry].push(issue(
                    &subject_path(&submission, d.entry),
                    "no such person is registered in your jurisdiction",
                ));
            }
        }
        let codes: Vec<String> = results.iter().map(|r| r.row.tube_code.clone()).collect();
        let known: std::collections::HashSet<String> = self
            .store()
            .testing()
            .known_tubes(&codes)
            .await?
            .into_iter()
            .collect();
        for r in &results {
            if !known.contains(&r.row.tube_code) {
                not_found[r.entry] = true;
                issues[r.entry].push(issue(
                    &format!("{}.specimen", resource_path(&submission, r.entry)),
                    "no samples were collected in this tube",
                ));
            }
        }
        // A report stands or falls with the results it references.
        for (i, resource) in submission.resources() {
            if let Resource::DiagnosticReport(r) = resource {
                if r.results.iter().any(|k| !issues[*k].is_empty()) {
                    issues[i].push(issue(
                        &format!("{}.result", r.path),
                        "references a refused result",
                    ));
                }
            }
        }

        let refused = issues.iter().any(|i| !i.is_empty());
        let transaction = submission.kind == SubmissionKind::Transaction;
        let mut outcome = FhirImport {
            kind: submission.kind,
            applied: false,
            outcomes: Vec::new(),
            patients: 0,
            doses: 0,
            results: 0,
        };
        let mut status: Vec<OutcomeStatus> = vec![OutcomeStatus::Ok; n];
        let mut location: Vec<Option<String>> = vec![None; n];
        if !(transaction && refused) {
            outcome.applied = true;
            // Patients.
            patients.retain(|(i, _)| issues[*i].is_empty());
            if !patients.is_empty() {
                let rows: Vec<NewPerson> = patients.iter().map(|(_, p)| p.clone()).collect();
                let before = self
                    .resolve_documents(rows.iter().map(|p| &p.document))
                    .await?;
                persons_store
                    .upsert_batch(&actor.scope, &rows, &actor.label(), now_ms)
                    .await?;
                let after = self
                    .resolve_documents(rows.iter().map(|p| &p.document))
                    .await?;
                for (((i, _), was), id) in patients.iter().zip(before).zip(after) {
                    if was.is_none() {
                        status[*i] = OutcomeStatus::Created;
                    }
                    if let Some(id) = id {
                        location[*i] = Some(format!("Patient/{id}"));
                        person_of.insert(*i, id);
                    }
                }
                outcome.patients = patients.len() as u64;
            }
            // Doses.
            let mut new_doses = Vec::new();
            let mut dose_entries = Vec::new();
            for d in doses.iter().filter(|d| issues[d.entry].is_empty()) {
                let person = match &d.subject {
                    Subject::Entry(p) => person_of.get(p).copied(),
                    _ => person_of.get(&d.entry).copied(),
                };
                let Some(person_id) = person else { continue };
                dose_entries.push(d.entry);
                new_doses.push(NewDose {
                    person_id,
                    dose: d.dose,
                    lot: d.lot.clone(),
                    site: d.site.clone(),
                    fhir_id: d.fhir_id.clone(),
                    remove: d.remove,
                });
            }
            if !new_doses.is_empty() {
                let store = self.store().immunization();
                let done = store
                    .record_doses(&actor.scope, &new_doses, "fhir", now_ms)
                    .await?;
                if let Err(outside) = done {
                    // Only possible when a person moved out of the scope meanwhile.
                    for k in outside.iter().rev() {
                        let e = dose_entries.remove(*k);
                        new_doses.remove(*k);
                        not_found[e] = true;
                        issues[e].push(issue(
                            &subject_path(&submission, e),
                            "no such person is registered in your jurisdiction",
                        ));
                    }
                    store
                        .record_doses(&actor.scope, &new_doses, "fhir", now_ms)
                        .await?
                        .map_err(|_| Error::Conflict("persons changed during the import".into()))?;
                }
                for (e, d) in dose_entries.iter().zip(&new_doses) {
                    status[*e] = OutcomeStatus::Created;
                    location[*e] = Some(format!(
                        "Patient/{}/Immunization/{}",
                        d.person_id, d.dose.number
                    ));
                }
                outcome.doses = new_doses.len() as u64;
            }
            // Results.
            let rows: Vec<&ResultEntry> = results
                .iter()
                .filter(|r| issues[r.entry].is_empty())
                .collect();
            if !rows.is_empty() {
                let batch: Vec<ResultRow> = rows.iter().map(|r| r.row.clone()).collect();
                let got = self
                    .store()
                    .testing()
                    .ingest_results(&batch, now_ms)
                    .await?;
                for (k, r) in rows.iter().enumerate() {
                    if got.unknown_tubes.contains(&k) {
                        not_found[r.entry] = true;
                        issues[r.entry].push(issue(
                            &format!("{}.specimen", resource_path(&submission, r.entry)),
                            "no samples were collected in this tube",
                        ));
                    } else {
                        status[r.entry] = OutcomeStatus::Created;
                    }
                }
                outcome.results = got.results_stored + got.results_already_stored;
            }
        }
        outcome.outcomes = (0..n)
            .map(|i| EntryOutcome {
                status: if issues[i].is_empty() {
                    status[i]
                } else if not_found[i] {
                    OutcomeStatus::NotFound
                } else {
                    OutcomeStatus::BadRequest
                },
                location: location[i].take(),
                issues: std::mem::take(&mut issues[i]),
            })
            .collect();
        self.audit(
            actor,
            "fhir.import",
            "file",
            Some(file_name.chars().take(100).collect()),
            None,
            serde_json::json!({
                "entries": n,
                "applied": outcome.applied,
                "patients": outcome.patients,
                "doses": outcome.doses,
                "results": outcome.results,
            }),
        )
        .await?;
        Ok(outcome)
    }

    /// A person as a FHIR Patient, identifiers masked.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`; `NotFound` outside the scope.
    pub async fn fhir_patient(&self, actor: &Actor, id: i64) -> Result<Value> {
        actor.require(Permission::PersonsRead)?;
        let p = self.store().persons().find(&actor.scope, id).await?;
        Ok(fangkong_fhir::patient_json(&patient_out(&p, None, None)))
    }

    /// Immunizations as FHIR resources: one record, or all of a person's.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn fhir_immunizations(
        &self,
        actor: &Actor,
        patient: Option<i64>,
        id: Option<i64>,
    ) -> Result<Vec<Value>> {
        actor.require(Permission::ImmunizationRead)?;
        let store = self.store().immunization();
        let doses = match (id, patient) {
            (Some(id), _) => vec![store.dose(&actor.scope, id).await?],
            (None, Some(p)) => store.doses_of(&actor.scope, p).await?,
            (None, None) => return Err(Error::invalid("patient", "a patient id is required")),
        };
        Ok(doses.iter().map(immunization_json).collect())
    }

    /// Lab results as FHIR Observations: one result, or all of a person's.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` outside the scope.
    pub async fn fhir_observations(
        &self,
        actor: &Actor,
        patient: Option<i64>,
        id: Option<i64>,
    ) -> Result<Vec<Value>> {
        actor.require(Permission::TestingRead)?;
        let Some(patient) = patient else {
            return Err(Error::invalid("patient", "a patient id is required"));
        };
        self.store().persons().find(&actor.scope, patient).await?;
        let rows = self
            .store()
            .testing()
            .person_results(&actor.scope, Some(patient), None, 0, 10_000)
            .await?;
        let rows: Vec<&PersonResult> = rows
            .iter()
            .filter(|r| id.is_none_or(|i| r.id == i))
            .collect();
        if id.is_some() && rows.is_empty() {
            return Err(Error::NotFound);
        }
        Ok(rows.into_iter().map(observation_json).collect())
    }

    /// A person's case as a FHIR Condition (none when they are not a case).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `NotFound` outside the scope.
    pub async fn fhir_conditions(&self, actor: &Actor, patient: Option<i64>) -> Result<Vec<Value>> {
        actor.require(Permission::TracingRead)?;
        let patient =
            patient.ok_or_else(|| Error::invalid("patient", "a patient id is required"))?;
        self.store().persons().find(&actor.scope, patient).await?;
        let tracing = self.store().tracing();
        let Some(case_id) = tracing.case_of_person(patient).await? else {
            return Ok(Vec::new());
        };
        let case = tracing.case(&actor.scope, case_id).await?;
        Ok(vec![condition_json(&case)])
    }

    /// Cases, lab results and immunizations of the persons in `within` (or the whole scope)
    /// with their Patients, as a FHIR `collection` Bundle; audited with its purpose before
    /// anything is handed out. With `reveal` (needs `pii.reveal`) the Patients carry the full
    /// ID numbers, so another system can match them; otherwise masked. Each kind is included
    /// when the actor may read it.
    ///
    /// # Errors
    /// `Forbidden` without `persons.export` (or `pii.reveal` to reveal); `Invalid` without a
    /// purpose or when the export would exceed [`MAX_EXPORT_RESOURCES`].
    pub async fn fhir_export(
        &self,
        actor: &Actor,
        within: Option<&str>,
        purpose: &str,
        reveal: bool,
    ) -> Result<Value> {
        actor.require(Permission::PersonsExport)?;
        if reveal {
            actor.require(Permission::PiiReveal)?;
        }
        let purpose = crate::audit::check_purpose(purpose)?;
        let within = within
            .filter(|w| !w.trim().is_empty())
            .map(|w| {
                JurisdictionCode::parse(w.trim())
                    .map_err(|e| Error::invalid("within", e.to_string()))
            })
            .transpose()?;
        if within
            .as_ref()
            .is_some_and(|w| !actor.scope.covers(w.as_str()))
        {
            return Err(Error::NotFound);
        }
        let can = |p| actor.scope.can(p);
        let too_many = || {
            Error::invalid(
                "within",
                format!("the export would hold more than {MAX_EXPORT_RESOURCES} resources; choose a smaller area"),
            )
        };
        let mut doses: Vec<StoredDose> = Vec::new();
        if can(Permission::ImmunizationRead) {
            loop {
                let after = doses.last().map_or(0, |d| d.id);
                let page = self
                    .store()
                    .immunization()
                    .doses_in(&actor.scope, within.as_ref(), after, 10_000)
                    .await?;
                let done = page.len() < 10_000;
                doses.extend(page);
                if doses.len() as i64 > MAX_EXPORT_RESOURCES {
                    return Err(too_many());
                }
                if done {
                    break;
                }
            }
        }
        let results = if can(Permission::TestingRead) {
            let r = self
                .store()
                .testing()
                .person_results(
                    &actor.scope,
                    None,
                    within.as_ref(),
                    0,
                    MAX_EXPORT_RESOURCES + 1,
                )
                .await?;
            if r.len() as i64 > MAX_EXPORT_RESOURCES {
                return Err(too_many());
            }
            r
        } else {
            Vec::new()
        };
        let cases = if can(Permission::TracingRead) {
            self.store()
                .tracing()
                .cases(
                    &actor.scope,
                    &fangkong_store::tracing::CaseFilter {
                        classification: None,
                        within: within.as_ref(),
                        reported_since: None,
                        limit: MAX_EXPORT_RESOURCES,
                    },
                )
                .await?
        } else {
            Vec::new()
        };
        let mut person_ids: Vec<i64> = doses
            .iter()
            .map(|d| d.person_id)
            .chain(results.iter().map(|r| r.person_id))
            .chain(cases.iter().map(|c| c.person_id))
            .collect();
        person_ids.sort_unstable();
        person_ids.dedup();
        let total = person_ids.len() + doses.len() + results.len() + cases.len();
        if total as i64 > MAX_EXPORT_RESOURCES {
            return Err(too_many());
        }
        self.audit(
            actor,
            "fhir.export",
            "jurisdiction",
            within.as_ref().map(|w| w.as_str().to_string()),
            Some(purpose),
            serde_json::json!({
                "patients": person_ids.len(),
                "immunizations": doses.len(),
                "observations": results.len(),
                "conditions": cases.len(),
                "identifiers": if reveal { "revealed" } else { "masked" },
            }),
        )
        .await?;
        let persons = self.store().persons();
        let mut entries = Vec::with_capacity(total);
        for chunk in person_ids.chunks(1000) {
            for p in persons.find_many(&actor.scope, chunk).await? {
                let (doc, phone) = if reveal {
                    (
                        Some(persons.reveal_document(&actor.scope, p.id).await?),
                        persons.reveal_phone(&actor.scope, p.id).await?,
                    )
                } else {
                    (None, None)
                };
                entries.push((
                    format!("Patient/{}", p.id),
                    fangkong_fhir::patient_json(&patient_out(&p, doc, phone)),
                ));
            }
        }
        entries.extend(
            cases
                .iter()
                .map(|c| (format!("Condition/{}", c.id), condition_json(c))),
        );
        entries.extend(results.iter().map(|r| {
            (
                format!("Observation/{}-{}", r.id, r.person_id),
                observation_json(r),
            )
        }));
        entries.extend(
            doses
                .iter()
                .map(|d| (format!("Immunization/{}", d.id), immunization_json(d))),
        );
        Ok(fangkong_fhir::bundle_json(
            fangkong_fhir::BundleOut::Collection,
            entries,
        ))
    }
}

/// The person a subject names, recording an issue when it cannot name one.
fn subject_of(
    subject: &SubjectRef,
    path: &str,
    submission: &fangkong_fhir::Submission,
    bad: &mut Vec<Issue>,
) -> Option<Subject> {
    match subject {
        SubjectRef::Entry(k) => match submission.entries.get(*k).map(|e| &e.resource) {
            Some(Ok(Resource::Patient(_))) => Some(Subject::Entry(*k)),
            Some(Err(_)) => {
                bad.push(issue(path, "references a Patient entry that was refused"));
                None
            }
            _ => {
                bad.push(issue(path, "must reference a Patient"));
                None
            }
        },
        SubjectRef::Identifier { system, value } => {
            if system != NATIONAL_ID_SYSTEM {
                bad.push(issue(
                    path,
                    format!("unknown identifier system; expected {NATIONAL_ID_SYSTEM}"),
                ));
                return None;
            }
            match NationalId::parse(value) {
                Ok(id) => Some(Subject::Document(Document::MainlandId(id))),
                Err(e) => {
                    bad.push(issue(path, fangkong_ingest::fever::id_number_reason(&e)));
                    None
                }
            }
        }
        SubjectRef::Literal(id) => match id.parse::<i64>() {
            Ok(id) if id > 0 => Some(Subject::Person(id)),
            _ => {
                bad.push(issue(
                    path,
                    "a Patient reference outside the bundle must be a registered person's id",
                ));
                None
            }
        },
    }
}

fn resource_path(submission: &fangkong_fhir::Submission, entry: usize) -> String {
    submission.entries[entry].resource.as_ref().map_or_else(
        |_| submission.entries[entry].location.clone(),
        |r| r.path().to_string(),
    )
}

fn subject_path(submission: &fangkong_fhir::Submission, entry: usize) -> String {
    match &submission.entries[entry].resource {
        Ok(Resource::Immunization(i)) => i.subject_path.clone(),
        Ok(Resource::Observation(o)) => o.subject_path.clone(),
        Ok(Resource::DiagnosticReport(r)) => r.subject_path.clone(),
        _ => resource_path(submission, entry),
    }
}

fn patient_out(
    p: &Person,
    document: Option<String>,
    phone: Option<String>,
) -> fangkong_fhir::PatientOut {
    fangkong_fhir::PatientOut {
        id: p.id.to_string(),
        id_number: Some(document.unwrap_or_else(|| p.doc_masked.clone())),
        name: p.name.clone(),
        sex: Some(if p.sex == "female" {
            fangkong_fhir::Sex::Female
        } else {
            fangkong_fhir::Sex::Male
        }),
        birth_date: p.birth_date.parse().ok(),
        phone: phone.or_else(|| p.phone_masked.clone()),
        address_text: p.address.clone(),
        community_code: Some(p.community_code.clone()),
    }
}

fn immunization_json(d: &StoredDose) -> Value {
    let product = VaccineProduct::parse(&d.product);
    let mut vaccine = Vec::new();
    if let Some(p) = product {
        if let Some(cvx) = p.cvx() {
            vaccine.push(fangkong_fhir::CodingOut {
                system: fangkong_fhir::CVX.into(),
                code: cvx.into(),
                display: Some(p.name_en().into()),
            });
        }
        vaccine.push(fangkong_fhir::CodingOut {
            system: fangkong_fhir::VACCINE_PRODUCT_SYSTEM.into(),
            code: p.fhir_code().into(),
            display: Some(p.name_zh().into()),
        });
    }
    fangkong_fhir::immunization_json(&fangkong_fhir::ImmunizationOut {
        id: d.id.to_string(),
        identifier: d
            .fhir_id
            .clone()
            .map(|f| ("urn:fangkong:fhir:immunization-source-id".to_string(), f)),
        status: fangkong_fhir::ImmunizationStatus::Completed,
        patient: fangkong_fhir::RefOut::Reference(format!("Patient/{}", d.person_id)),
        vaccine,
        occurrence: d.vaccinated_on.parse().unwrap_or(NaiveDate::MIN),
        lot: d.lot.clone(),
        dose_number: u32::try_from(d.dose_number).unwrap_or(1),
        site: d.site.clone(),
    })
}

fn observation_json(r: &PersonResult) -> Value {
    fangkong_fhir::observation_json(&fangkong_fhir::LabObservationOut {
        id: format!("{}-{}", r.id, r.person_id),
        subject: fangkong_fhir::RefOut::Reference(format!("Patient/{}", r.person_id)),
        code: Vec::new(),
        result: match r.outcome.as_str() {
            "positive" => LabResult::Detected,
            "negative" => LabResult::NotDetected,
            _ => LabResult::Inconclusive,
        },
        ct: r.ct_n.or(r.ct_orf1ab),
        specimen_id: Some(r.tube_code.clone()),
        effective_ms: r.tested_at,
        performer: Some(r.lab_code.clone()),
    })
}

fn condition_json(c: &fangkong_store::tracing::Case) -> Value {
    let day = |ms: i64| DateTime::from_timestamp_millis(ms + 8 * 3_600_000).map(|t| t.date_naive());
    let class = match CaseClass::parse(&c.fields.classification) {
        Some(CaseClass::Asymptomatic) => fangkong_fhir::CaseClass::Asymptomatic,
        Some(CaseClass::Suspected) => fangkong_fhir::CaseClass::Suspected,
        _ => fangkong_fhir::CaseClass::Confirmed,
    };
    let severity = c.fields.severity.as_deref().and_then(|s| match s {
        "mild" => Some(fangkong_fhir::Severity::Mild),
        "moderate" => Some(fangkong_fhir::Severity::Moderate),
        "severe" => Some(fangkong_fhir::Severity::Severe),
        "critical" => Some(fangkong_fhir::Severity::Critical),
        _ => None,
    });
    let clinical_status = match c.fields.outcome.as_str() {
        "recovered" => fangkong_fhir::ClinicalStatus::Resolved,
        "open" => fangkong_fhir::ClinicalStatus::Active,
        _ => fangkong_fhir::ClinicalStatus::Inactive,
    };
    fangkong_fhir::condition_json(&fangkong_fhir::CaseOut {
        id: c.id.to_string(),
        subject: fangkong_fhir::RefOut::Reference(format!("Patient/{}", c.person_id)),
        class,
        clinical_status,
        severity,
        onset: c.fields.onset_at.and_then(day),
        recorded: day(c.reported_at).unwrap_or(NaiveDate::MIN),
    })
}
