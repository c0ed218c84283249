//! Fever-clinic visits (the fourth of the four pockets of inbound control) and their open
//! loops.
//!
//! Every visit to a fever clinic must reach a test result and a disposition within a
//! deadline counted from the visit time:
//!
//! - the result within [`RESULT_DUE_HOURS`] (12 hours);
//! - the disposition within [`DISPOSITION_DUE_HOURS`] (24 hours);
//! - and a positive result must lead to [`Disposition::Admitted`] or
//!   [`Disposition::TransferredDesignatedHospital`]: any other disposition of a positive
//!   patient is an open loop at once (`positive_not_transferred`).
//!
//! The result of a visit is the linked tube's latest result in the testing tables when there
//! is one (so a lab result ingested through testing closes the loop without a second entry),
//! else the one recorded directly. The open-loop list is computed on read, inside the
//! actor's jurisdiction (the clinic's community), from the clock of the app.
//!
//! A patient is identified by mainland ID number through the registry's blind index; the
//! number itself is never stored here, and a number not in the registry is refused.

use fangkong_domain::{JurisdictionCode, NationalId, Permission};
use fangkong_ingest::fever::{
    check_temperature, id_number_reason, parse_symptoms, Disposition, Symptom,
};
use fangkong_ingest::testing::{parse_time, Outcome};
use fangkong_ingest::{FileErrors, RowError};
use fangkong_store::fever::{NewVisit, Visit, VisitFilter, VisitStored};

use crate::jurisdictions::{ImportOutcome, MAX_LIST};
use crate::{Actor, App, Error, Result};

/// Hours from the visit within which the test result is due.
pub const RESULT_DUE_HOURS: i64 = 12;
/// Hours from the visit within which the disposition is due.
pub const DISPOSITION_DUE_HOURS: i64 = 24;
/// Visits with a deadline in this many hours from now count as due soon.
pub const DUE_SOON_HOURS: i64 = 2;

const HOUR_MS: i64 = 3_600_000;

/// A visit to record, as entered in a form or sent as JSON.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    /// The facility id of the fever clinic.
    pub clinic_id: i64,
    /// The patient's mainland ID number.
    pub id_number: String,
    /// `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339; now when absent.
    pub visit_at: Option<String>,
    /// °C.
    pub temperature: f64,
    /// Symptom keys (or Chinese names).
    pub symptoms: Vec<String>,
    /// Epidemiological history (流行病学史).
    pub epi_history: bool,
    /// The code of the sample's tube, as the testing module knows it.
    pub tube_code: Option<String>,
    /// A result recorded directly.
    pub result: Option<ResultInput>,
}

/// A result recorded directly.
#[derive(Debug, Clone, Default)]
pub struct ResultInput {
    /// `negative`, `positive` or `inconclusive` (or 阴性, 阳性, 可疑).
    pub outcome: String,
    /// When the result was reported; now when absent.
    pub at: Option<String>,
    /// The lab's code.
    pub lab: String,
}

/// Why a visit is on the open-loop list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopReason {
    /// No result [`RESULT_DUE_HOURS`] after the visit.
    ResultOverdue,
    /// No disposition [`DISPOSITION_DUE_HOURS`] after the visit.
    DispositionOverdue,
    /// A positive result, and a disposition other than admission or transfer.
    PositiveNotTransferred,
}

impl LoopReason {
    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            LoopReason::ResultOverdue => "result_overdue",
            LoopReason::DispositionOverdue => "disposition_overdue",
            LoopReason::PositiveNotTransferred => "positive_not_transferred",
        }
    }
}

/// One open loop: a visit and why it is open.
#[derive(Debug, Clone)]
pub struct OpenLoop {
    pub visit: Visit,
    pub reason: LoopReason,
    /// When the loop should have been closed.
    pub due_at: i64,
    /// Whole hours since `due_at`.
    pub overdue_hours: i64,
}

/// The open-loop list.
#[derive(Debug, Clone, Default)]
pub struct OpenLoops {
    /// Most overdue first.
    pub loops: Vec<OpenLoop>,
    /// Visits with a result or disposition due within the next [`DUE_SOON_HOURS`].
    pub due_soon: u64,
}

/// The open loops of one visit at `now`, and whether it has a deadline within the next
/// [`DUE_SOON_HOURS`]. Pure, so the rules are tested without a store.
pub fn loops_of(visit: &Visit, now: i64) -> (Vec<(LoopReason, i64)>, bool) {
    let mut open = Vec::new();
    let mut soon = false;
    let mut deadline = |done: bool, due: i64, reason: LoopReason| {
        if done {
            return;
        }
        if now > due {
            open.push((reason, due));
        } else if due - now <= DUE_SOON_HOURS * HOUR_MS {
            soon = true;
        }
    };
    let result = visit.result();
    deadline(
        result.is_some(),
        visit.visit_at + RESULT_DUE_HOURS * HOUR_MS,
        LoopReason::ResultOverdue,
    );
    deadline(
        visit.disposition.is_some(),
        visit.visit_at + DISPOSITION_DUE_HOURS * HOUR_MS,
        LoopReason::DispositionOverdue,
    );
    if let (Some(r), Some(d), Some(d_at)) = (&result, &visit.disposition, visit.disposition_at) {
        let answers = Disposition::parse(d).is_some_and(Disposition::answers_positive);
        if r.outcome == Outcome::Positive.as_str() && !answers {
            open.push((LoopReason::PositiveNotTransferred, r.at.max(d_at)));
        }
    }
    (open, soon)
}

fn parse_when(field: &str, text: Option<&str>, now: i64) -> Result<i64, (String, String)> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(now),
        Some(t) => {
            let at = parse_time(t)
                .map_err(|e| (field.to_string(), e.to_string()))?
                .timestamp_millis();
            if at > now {
                return Err((field.to_string(), "is in the future".to_string()));
            }
            Ok(at)
        }
    }
}

fn symptoms_text(symptoms: &[Symptom]) -> String {
    symptoms
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl App {
    /// Finds a registered person by mainland ID number through the blind index.
    async fn fever_patient(&self, id: &NationalId) -> Result<Option<i64>> {
        let blind = self
            .store()
            .persons()
            .document_index(&fangkong_domain::Document::MainlandId(id.clone()));
        Ok(self.store().fever().person_by_blind(&blind).await?)
    }

    /// Records a fever-clinic visit. The same person at the same clinic and time again
    /// changes nothing and returns the stored visit with `false`. Audited when added.
    ///
    /// # Errors
    /// `Forbidden` without `fever.report`; `Invalid` naming every bad field: an unknown
    /// clinic (or one outside the actor's jurisdiction), an ID number that is not valid or
    /// not in the registry, a visit time in the future, a temperature outside 34–43 °C, an
    /// unknown symptom, a bad direct result.
    pub async fn record_fever_visit(
        &self,
        actor: &Actor,
        input: &VisitInput,
    ) -> Result<(Visit, bool)> {
        actor.require(Permission::FeverReport)?;
        let now = self.now_ms();
        let mut invalid: Vec<(String, String)> = Vec::new();
        let clinic = match self
            .store()
            .fever()
            .clinic(&actor.scope, input.clinic_id)
            .await
        {
            Ok(c) => Some(c),
            Err(fangkong_store::StoreError::NotFound) => {
                invalid.push((
                    "clinic_id".into(),
                    "no fever clinic has this id in your jurisdiction".into(),
                ));
                None
            }
            Err(e) => return Err(e.into()),
        };
        let person = match NationalId::parse(input.id_number.trim()) {
            Err(e) => {
                invalid.push(("id_number".into(), id_number_reason(&e)));
                None
            }
            Ok(id) => {
                let found = self.fever_patient(&id).await?;
                if found.is_none() {
                    invalid.push((
                        "id_number".into(),
                        "no registered person holds this ID number".into(),
                    ));
                }
                found
            }
        };
        let visit_at = parse_when("visit_at", input.visit_at.as_deref(), now)
            .map_err(|e| invalid.push(e))
            .ok();
        if let Some(reason) = check_temperature(input.temperature) {
            invalid.push(("temperature".into(), reason));
        }
        let symptoms = parse_symptoms(input.symptoms.iter().map(String::as_str))
            .map_err(|reason| invalid.push(("symptoms".into(), reason)))
            .unwrap_or_default();
        let tube_code = input
            .tube_code
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if tube_code.is_some_and(|t| t.chars().count() > 64) {
            invalid.push(("tube_code".into(), "must be at most 64 characters".into()));
        }
        let result = match &input.result {
            None => None,
            Some(r) => check_result(r, now, &mut invalid),
        };
        let (Some(clinic), Some(person_id), Some(visit_at)) = (clinic, person, visit_at) else {
            return Err(Error::Invalid(invalid));
        };
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let symptoms = symptoms_text(&symptoms);
        let stored = self
            .store()
            .fever()
            .add_visits(&[NewVisit {
                clinic_id: clinic.id,
                community_code: &clinic.community_code,
                person_id,
                visit_at,
                temperature: input.temperature,
                symptoms: &symptoms,
                epi_history: input.epi_history,
                tube_code,
                result: result
                    .as_ref()
                    .map(|(o, at, lab)| (o.as_str(), *at, lab.as_str())),
                recorded_at: now,
                recorded_by: &actor.username,
            }])
            .await?;
        let done = stored.first().copied().ok_or(Error::NotFound)?;
        let created = matches!(done, VisitStored::Created(_));
        if created {
            self.audit(
                actor,
                "fever.visit_record",
                "fever_visit",
                Some(done.id().to_string()),
                None,
                serde_json::json!({
                    "clinic_id": clinic.id, "visit_at": visit_at,
                    "tube": tube_code.is_some(), "result": result.as_ref().map(|r| r.0.as_str()),
                }),
            )
            .await?;
        }
        let visit = self.store().fever().visit(&actor.scope, done.id()).await?;
        Ok((visit, created))
    }

    /// One visit inside the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `NotFound` when absent or outside it.
    pub async fn fever_visit(&self, actor: &Actor, id: i64) -> Result<Visit> {
        actor.require(Permission::InboundRead)?;
        Ok(self.store().fever().visit(&actor.scope, id).await?)
    }

    /// Visits inside the actor's jurisdiction, newest first, optionally of one clinic or
    /// within one jurisdiction (a county).
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Invalid` for a bad jurisdiction code.
    pub async fn fever_visits(
        &self,
        actor: &Actor,
        clinic_id: Option<i64>,
        county: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Visit>> {
        actor.require(Permission::InboundRead)?;
        let within = parse_county(county)?;
        Ok(self
            .store()
            .fever()
            .visits(
                &actor.scope,
                &VisitFilter {
                    clinic_id,
                    within: within.as_ref(),
                    open_only: false,
                    limit: limit.clamp(1, MAX_LIST),
                    offset: offset.max(0),
                },
            )
            .await?)
    }

    /// Records a result directly on a visit (a linked tube's result, when there is one,
    /// still counts first). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `fever.report`; `NotFound` for a visit outside the jurisdiction;
    /// `Invalid` for an unknown outcome, a time in the future or an empty lab.
    pub async fn record_fever_result(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResultInput,
    ) -> Result<Visit> {
        actor.require(Permission::FeverReport)?;
        let visit = self.store().fever().visit(&actor.scope, id).await?;
        let mut invalid = Vec::new();
        let checked = check_result(input, self.now_ms(), &mut invalid);
        let Some((outcome, at, lab)) = checked.filter(|_| invalid.is_empty()) else {
            return Err(Error::Invalid(invalid));
        };
        self.store()
            .fever()
            .set_result(
                &actor.scope,
                visit.id,
                outcome.as_str(),
                at,
                &lab,
                &actor.username,
            )
            .await?;
        self.audit(
            actor,
            "fever.result_record",
            "fever_visit",
            Some(id.to_string()),
            None,
            serde_json::json!({ "outcome": outcome.as_str(), "at": at, "lab": lab }),
        )
        .await?;
        Ok(self.store().fever().visit(&actor.scope, id).await?)
    }

    /// Records the disposition of a visit, at `at` (now when absent). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `fever.report`; `NotFound` for a visit outside the jurisdiction;
    /// `Invalid` for an unknown disposition, a time in the future or before the visit.
    pub async fn record_fever_disposition(
        &self,
        actor: &Actor,
        id: i64,
        disposition: &str,
        at: Option<&str>,
    ) -> Result<Visit> {
        actor.require(Permission::FeverReport)?;
        let visit = self.store().fever().visit(&actor.scope, id).await?;
        let mut invalid = Vec::new();
        let parsed = Disposition::parse(disposition);
        if parsed.is_none() {
            invalid.push((
                "disposition".to_string(),
                format!(
                    "unknown disposition; expected one of {}",
                    Disposition::keys()
                ),
            ));
        }
        let at = match parse_when("disposition_at", at, self.now_ms()) {
            Ok(at) if at < visit.visit_at => {
                invalid.push((
                    "disposition_at".to_string(),
                    "is before the visit".to_string(),
                ));
                None
            }
            Ok(at) => Some(at),
            Err(e) => {
                invalid.push(e);
                None
            }
        };
        let (Some(d), Some(at)) = (parsed, at) else {
            return Err(Error::Invalid(invalid));
        };
        self.store()
            .fever()
            .set_disposition(&actor.scope, id, d.as_str(), at, &actor.username)
            .await?;
        self.audit(
            actor,
            "fever.disposition_record",
            "fever_visit",
            Some(id.to_string()),
            None,
            serde_json::json!({ "disposition": d.as_str(), "at": at }),
        )
        .await?;
        // A patient sent home under monitoring or quarantine comes under a control measure
        // of the fever pocket.
        if matches!(d.as_str(), "home_monitoring" | "home_quarantine") {
            self.assign_for(
                visit.person_id,
                fangkong_domain::policy::Pocket::Fever,
                &format!("fever:{id}"),
            )
            .await?;
        }
        Ok(self.store().fever().visit(&actor.scope, id).await?)
    }

    /// The open loops inside the actor's jurisdiction now, most overdue first, optionally of
    /// one clinic or within one jurisdiction (a county); and how many visits have a deadline
    /// within the next [`DUE_SOON_HOURS`].
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Invalid` for a bad jurisdiction code.
    pub async fn fever_open_loops(
        &self,
        actor: &Actor,
        clinic_id: Option<i64>,
        county: Option<&str>,
    ) -> Result<OpenLoops> {
        actor.require(Permission::InboundRead)?;
        let within = parse_county(county)?;
        let now = self.now_ms();
        let candidates = self
            .store()
            .fever()
            .visits(
                &actor.scope,
                &VisitFilter {
                    clinic_id,
                    within: within.as_ref(),
                    open_only: true,
                    limit: i64::MAX,
                    offset: 0,
                },
            )
            .await?;
        let mut out = OpenLoops::default();
        for visit in candidates {
            let (open, soon) = loops_of(&visit, now);
            out.due_soon += u64::from(soon);
            for (reason, due_at) in open {
                out.loops.push(OpenLoop {
                    visit: visit.clone(),
                    reason,
                    due_at,
                    overdue_hours: (now - due_at) / HOUR_MS,
                });
            }
        }
        out.loops
            .sort_by_key(|l| (l.due_at, l.visit.id, l.reason.as_str()));
        Ok(out)
    }

    /// The fever clinics inside the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn fever_clinics(&self, actor: &Actor) -> Result<Vec<fangkong_store::fever::Clinic>> {
        actor.require(Permission::InboundRead)?;
        Ok(self.store().fever().clinics(&actor.scope).await?)
    }

    /// Imports a visit list (CSV or XLSX; `fangkong_ingest::fever::parse_fever_visits`): all
    /// rows or none. Besides the file's own checks, every clinic must be a fever clinic in
    /// the actor's jurisdiction, every ID number registered and every visit time past. A
    /// visit already stored (same clinic, person and time) is left as it is, so importing
    /// the same file again changes nothing. Audited with the counts.
    ///
    /// # Errors
    /// `Forbidden` without `fever.report`; `Import` naming every bad value as
    /// `file:line: field: reason`.
    pub async fn import_fever_visits(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::FeverReport)?;
        let records =
            fangkong_ingest::fever::parse_fever_visits(file_name, bytes).map_err(Error::Import)?;
        let now = self.now_ms();
        let mut errors = Vec::new();
        let mut clinics = std::collections::HashMap::new();
        let mut resolved = Vec::with_capacity(records.len());
        for r in &records {
            let clinic = match clinics.get(&r.clinic_id) {
                Some(known) => Option::clone(known),
                None => {
                    let found = match self.store().fever().clinic(&actor.scope, r.clinic_id).await {
                        Ok(c) => Some(c),
                        Err(fangkong_store::StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    };
                    clinics.insert(r.clinic_id, found.clone());
                    found
                }
            };
            if clinic.is_none() {
                errors.push(RowError::new(
                    r.line,
                    "clinic_id",
                    "no fever clinic has this id in your jurisdiction",
                ));
            }
            let person = self.fever_patient(&r.id_number).await?;
            if person.is_none() {
                errors.push(RowError::new(
                    r.line,
                    "id_number",
                    "no registered person holds this ID number",
                ));
            }
            let visit_at = r.visit_at.timestamp_millis();
            if visit_at > now {
                errors.push(RowError::new(r.line, "visit_at", "is in the future"));
            }
            if r.result
                .as_ref()
                .is_some_and(|res| res.at.timestamp_millis() > now)
            {
                errors.push(RowError::new(r.line, "result_at", "is in the future"));
            }
            if let (Some(clinic), Some(person)) = (clinic, person) {
                resolved.push((r, clinic, person, symptoms_text(&r.symptoms)));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Import(FileErrors {
                file: file_name.to_string(),
                errors,
            }));
        }
        let rows: Vec<NewVisit<'_>> = resolved
            .iter()
            .map(|(r, clinic, person_id, symptoms)| NewVisit {
                clinic_id: clinic.id,
                community_code: &clinic.community_code,
                person_id: *person_id,
                visit_at: r.visit_at.timestamp_millis(),
                temperature: r.temperature,
                symptoms,
                epi_history: r.epi_history,
                tube_code: r.tube_code.as_deref(),
                result: r.result.as_ref().map(|res| {
                    (
                        res.outcome.as_str(),
                        res.at.timestamp_millis(),
                        res.lab.as_str(),
                    )
                }),
                recorded_at: now,
                recorded_by: &actor.username,
            })
            .collect();
        let done = self.store().fever().add_visits(&rows).await?;
        let created = done
            .iter()
            .filter(|d| matches!(d, VisitStored::Created(_)))
            .count() as u64;
        let outcome = ImportOutcome {
            rows: records.len() as u64,
            created,
            updated: 0,
            unchanged: records.len() as u64 - created,
        };
        self.audit(
            actor,
            "fever.visits_import",
            "file",
            Some(file_name.to_string()),
            None,
            serde_json::json!({
                "rows": outcome.rows, "created": outcome.created, "unchanged": outcome.unchanged,
            }),
        )
        .await?;
        Ok(outcome)
    }
}

/// Checks a direct result, pushing what is wrong; the outcome, time and lab when all hold.
fn check_result(
    r: &ResultInput,
    now: i64,
    invalid: &mut Vec<(String, String)>,
) -> Option<(Outcome, i64, String)> {
    let outcome = Outcome::parse(&r.outcome);
    if outcome.is_none() {
        invalid.push((
            "result".to_string(),
            "unknown result; expected negative, positive or inconclusive".to_string(),
        ));
    }
    let at = parse_when("result_at", r.at.as_deref(), now)
        .map_err(|e| invalid.push(e))
        .ok();
    let lab = r.lab.trim();
    if lab.is_empty() {
        invalid.push(("lab".to_string(), "is required with a result".to_string()));
    }
    match (outcome, at) {
        (Some(o), Some(at)) if !lab.is_empty() => Some((o, at, lab.to_string())),
        _ => None,
    }
}

fn parse_county(county: Option<&str>) -> Result<Option<JurisdictionCode>> {
    county
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| JurisdictionCode::parse(c).map_err(|e| Error::invalid("county", e.to_string())))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(at: i64) -> Visit {
        Visit {
            id: 1,
            clinic_id: 1,
            clinic_name: String::new(),
            community_code: "411702001001".into(),
            person_id: 1,
            person_name: String::new(),
            person_doc_masked: String::new(),
            visit_at: at,
            temperature: 38.0,
            symptoms: String::new(),
            epi_history: false,
            tube_code: None,
            direct_outcome: None,
            direct_at: None,
            direct_lab: None,
            direct_by: None,
            tube_outcome: None,
            tube_reported_at: None,
            tube_lab: None,
            disposition: None,
            disposition_at: None,
            disposition_by: None,
            recorded_at: at,
            recorded_by: "t".into(),
        }
    }

    #[test]
    fn deadlines_pass_at_twelve_and_twenty_four_hours() {
        let v = visit(0);
        let reasons = |now: i64| {
            let (open, soon) = loops_of(&v, now);
            (open.iter().map(|o| o.0.as_str()).collect::<Vec<_>>(), soon)
        };
        assert_eq!(reasons(9 * HOUR_MS), (vec![], false));
        assert_eq!(reasons(10 * HOUR_MS), (vec![], true));
        assert_eq!(reasons(12 * HOUR_MS), (vec![], true));
        assert_eq!(reasons(12 * HOUR_MS + 1), (vec!["result_overdue"], false));
        assert_eq!(reasons(22 * HOUR_MS), (vec!["result_overdue"], true));
        assert_eq!(
            reasons(24 * HOUR_MS + 1),
            (vec!["result_overdue", "disposition_overdue"], false)
        );
        let mut positive = visit(0);
        positive.tube_outcome = Some("positive".into());
        positive.tube_reported_at = Some(HOUR_MS);
        positive.disposition = Some("home_quarantine".into());
        positive.disposition_at = Some(2 * HOUR_MS);
        let (open, _) = loops_of(&positive, 3 * HOUR_MS);
        assert_eq!(
            open,
            vec![(LoopReason::PositiveNotTransferred, 2 * HOUR_MS)]
        );
        positive.disposition = Some("admitted".into());
        assert_eq!(loops_of(&positive, 30 * HOUR_MS).0, vec![]);
        // A direct result counts only without a tube result.
        positive.direct_outcome = Some("negative".into());
        positive.direct_at = Some(0);
        assert_eq!(positive.result().map(|r| r.outcome), Some("positive"));
    }
}
