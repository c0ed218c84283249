//! Treatment (医疗救治): designated hospitals and their beds by type, admissions with
//! transfers, severity and discharges, municipal treatment teams with their members,
//! deployments and rotation, and the bed forecast.
//!
//! Admissions are scoped by the hospital's community; the person admitted may live anywhere
//! (their masked identity only is shown). A ward's capacity is enforced by the store in the
//! admitting transaction: a transfer to a full ward changes nothing.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use fangkong_domain::{
    AdmissionOutcome, BedType, JurisdictionCode, Permission, Scope, Severity, Specialty,
};
use fangkong_store::treatment::{
    Admission, AdmissionEvent, AdmissionFilter, Deployment, HospitalRow, NewAdmission,
    NewDeployment, Team, TeamMember, Ward,
};
use serde_json::json;

use crate::{Actor, App, Error, Result};

/// Length of stay assumed per bed type when no discharge of the last 30 days gives one, in
/// days (general 10, isolation ward 14, intensive care 21). Planning assumptions of this
/// platform, not published figures; the forecast says which it used.
pub const DEFAULT_STAY_DAYS: [(BedType, u32); 3] = [
    (BedType::General, 10),
    (BedType::Isolation, 14),
    (BedType::Icu, 21),
];

/// A patient to admit.
#[derive(Debug, Clone)]
pub struct AdmitInput {
    pub person_id: i64,
    pub hospital_id: i64,
    pub bed_type: String,
    pub severity: String,
}

/// A team to create: name, owner jurisdiction, members (name, specialty key, leader).
#[derive(Debug, Clone)]
pub struct TeamInput {
    pub name: String,
    pub jurisdiction_code: String,
    pub members: Vec<(String, String, bool)>,
}

/// A deployment to make; `rotate_out` names the deployment of another team at that facility
/// that hands over the day before.
#[derive(Debug, Clone)]
pub struct DeployInput {
    pub facility_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rotate_out: Option<i64>,
}

/// A team with its members and where it is now and next.
#[derive(Debug, Clone)]
pub struct TeamView {
    pub team: Team,
    pub members: Vec<TeamMember>,
    pub current: Option<Deployment>,
    pub next: Option<Deployment>,
    /// Days since the last deployment ended, when it is not deployed today.
    pub resting_days: Option<i64>,
}

/// Beds of one type across hospitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BedTotals {
    pub bed_type: BedType,
    pub beds: i64,
    pub occupied: i64,
}

fn parse_or<T: Copy>(
    field: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
    keys: impl Fn() -> String,
    invalid: &mut Vec<(String, String)>,
) -> Option<T> {
    let found = parse(text.trim());
    if found.is_none() {
        invalid.push((field.to_string(), format!("must be one of {}", keys())));
    }
    found
}

/// Totals by bed type over hospitals.
pub fn bed_totals(hospitals: &[HospitalRow]) -> Vec<BedTotals> {
    BedType::ALL
        .iter()
        .map(|&t| {
            let (beds, occupied) = hospitals
                .iter()
                .map(|h| h.beds(t.as_str()))
                .fold((0, 0), |(b, o), (hb, ho)| (b + hb, o + ho));
            BedTotals {
                bed_type: t,
                beds,
                occupied,
            }
        })
        .collect()
}

impl App {
    /// The hospitals inside the actor's jurisdiction (designated first) with their beds.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`.
    pub async fn hospitals(&self, actor: &Actor) -> Result<Vec<HospitalRow>> {
        actor.require(Permission::TreatmentRead)?;
        Ok(self.store().treatment().hospitals(&actor.scope).await?)
    }

    /// Every designated hospital, whatever the jurisdiction (transfer destinations).
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read` or `isolation.operate`.
    pub async fn designated_hospitals(&self, actor: &Actor) -> Result<Vec<HospitalRow>> {
        if !actor.scope.can(Permission::TreatmentRead)
            && !actor.scope.can(Permission::IsolationOperate)
        {
            return Err(Error::Forbidden);
        }
        Ok(self.store().treatment().designated().await?)
    }

    /// Admits a person to a bed of a designated hospital inside the actor's jurisdiction; the
    /// person's case (if any) records the admission. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `Invalid` for an unknown bed type, severity,
    /// person or a hospital that is not a designated one of the jurisdiction; `Conflict` for a
    /// full ward or a person already admitted.
    pub async fn admit(&self, actor: &Actor, input: &AdmitInput) -> Result<Admission> {
        actor.require(Permission::TreatmentOperate)?;
        let mut invalid = Vec::new();
        let bed = parse_or(
            "bed_type",
            &input.bed_type,
            BedType::parse,
            BedType::keys,
            &mut invalid,
        );
        let severity = parse_or(
            "severity",
            &input.severity,
            Severity::parse,
            Severity::keys,
            &mut invalid,
        );
        let hospital = self
            .hospital_in_scope(actor, input.hospital_id, "hospital_id", &mut invalid)
            .await?;
        let person = self
            .store()
            .tracing()
            .briefs(&[input.person_id])
            .await?
            .remove(&input.person_id);
        if person.is_none() {
            invalid.push(("person_id".to_string(), "no such person".to_string()));
        }
        let (Some(bed), Some(severity), Some(hospital), true) =
            (bed, severity, hospital, invalid.is_empty())
        else {
            return Err(Error::Invalid(invalid));
        };
        let case_id = self
            .store()
            .tracing()
            .case_of_person(input.person_id)
            .await?;
        let id = self
            .store()
            .treatment()
            .admit(
                &NewAdmission {
                    person_id: input.person_id,
                    case_id,
                    hospital_id: hospital.id,
                    bed_type: bed.as_str(),
                    severity: severity.as_str(),
                },
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "treatment.admit",
            "admission",
            Some(id.to_string()),
            None,
            json!({ "hospital": hospital.id, "bed_type": bed.as_str(), "severity": severity.as_str() }),
        )
        .await?;
        Ok(self.store().treatment().admission(&actor.scope, id).await?)
    }

    async fn hospital_in_scope(
        &self,
        actor: &Actor,
        id: i64,
        field: &str,
        invalid: &mut Vec<(String, String)>,
    ) -> Result<Option<HospitalRow>> {
        match self.store().treatment().hospital(id).await {
            Ok(h) if h.subtype == "designated" && actor.scope.covers(&h.community_code) => {
                Ok(Some(h))
            }
            Ok(_) | Err(fangkong_store::StoreError::NotFound) => {
                invalid.push((
                    field.to_string(),
                    "is not a designated hospital of your jurisdiction".to_string(),
                ));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Admissions at the hospitals inside the actor's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`.
    pub async fn admissions(
        &self,
        actor: &Actor,
        filter: &AdmissionFilter,
    ) -> Result<Vec<Admission>> {
        actor.require(Permission::TreatmentRead)?;
        Ok(self
            .store()
            .treatment()
            .admissions(&actor.scope, filter)
            .await?)
    }

    /// An admission with its history.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`; `NotFound` outside the jurisdiction.
    pub async fn admission(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(Admission, Vec<AdmissionEvent>)> {
        actor.require(Permission::TreatmentRead)?;
        let a = self.store().treatment().admission(&actor.scope, id).await?;
        let events = self.store().treatment().admission_events(id).await?;
        Ok((a, events))
    }

    /// Moves an open admission to a bed of another type or another designated hospital (any
    /// jurisdiction: a county hospital refers up to the city's). The current admission closes
    /// as `transferred` and the new one names it; a full destination ward changes nothing.
    /// Audited. Returns the new admission.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `Invalid` for an unknown bed type, severity
    /// or a destination that is not a designated hospital, or the same ward; `NotFound`
    /// outside the jurisdiction; `Conflict` for a closed admission or a full ward.
    pub async fn transfer_admission(
        &self,
        actor: &Actor,
        id: i64,
        hospital_id: i64,
        bed_type: &str,
        severity: &str,
    ) -> Result<Admission> {
        actor.require(Permission::TreatmentOperate)?;
        let current = self.store().treatment().admission(&actor.scope, id).await?;
        let mut invalid = Vec::new();
        let bed = parse_or(
            "bed_type",
            bed_type,
            BedType::parse,
            BedType::keys,
            &mut invalid,
        );
        let sev = parse_or(
            "severity",
            severity,
            Severity::parse,
            Severity::keys,
            &mut invalid,
        );
        match self.store().treatment().hospital(hospital_id).await {
            Ok(h) if h.subtype == "designated" => {}
            Ok(_) | Err(fangkong_store::StoreError::NotFound) => invalid.push((
                "hospital_id".to_string(),
                "is not a designated hospital".to_string(),
            )),
            Err(e) => return Err(e.into()),
        }
        if bed.is_some_and(|b| b.as_str() == current.bed_type) && hospital_id == current.facility_id
        {
            invalid.push((
                "bed_type".to_string(),
                "the patient is already in this ward".to_string(),
            ));
        }
        let (Some(bed), Some(sev), true) = (bed, sev, invalid.is_empty()) else {
            return Err(Error::Invalid(invalid));
        };
        let new_id = self
            .store()
            .treatment()
            .transfer(
                &actor.scope,
                id,
                &Ward {
                    hospital_id,
                    bed_type: bed.as_str(),
                    severity: sev.as_str(),
                },
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "treatment.transfer",
            "admission",
            Some(id.to_string()),
            None,
            json!({ "to_admission": new_id, "hospital": hospital_id, "bed_type": bed.as_str() }),
        )
        .await?;
        Ok(self
            .store()
            .treatment()
            .admission(&Scope::system(), new_id)
            .await?)
    }

    /// Discharges an open admission (recovered, died or other; a transfer has its own call);
    /// the case records a recovery or death. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `Invalid` for an unknown outcome or
    /// `transferred`; `NotFound` outside the jurisdiction; `Conflict` when already closed.
    pub async fn discharge(
        &self,
        actor: &Actor,
        id: i64,
        outcome: &str,
        note: Option<&str>,
    ) -> Result<Admission> {
        actor.require(Permission::TreatmentOperate)?;
        let outcome = match AdmissionOutcome::parse(outcome.trim()) {
            Some(AdmissionOutcome::Transferred) => {
                return Err(Error::invalid(
                    "outcome",
                    "a transfer moves the patient: use the transfer action",
                ))
            }
            Some(o) => o,
            None => {
                return Err(Error::invalid(
                    "outcome",
                    "must be one of recovered, died, other",
                ))
            }
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let a = self
            .store()
            .treatment()
            .discharge(
                &actor.scope,
                id,
                outcome.as_str(),
                note,
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "treatment.discharge",
            "admission",
            Some(id.to_string()),
            None,
            json!({ "outcome": outcome.as_str() }),
        )
        .await?;
        Ok(a)
    }

    /// Records a change of an admitted patient's severity. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `Invalid` for an unknown severity;
    /// `NotFound` outside the jurisdiction; `Conflict` when closed.
    pub async fn set_admission_severity(
        &self,
        actor: &Actor,
        id: i64,
        severity: &str,
    ) -> Result<Admission> {
        actor.require(Permission::TreatmentOperate)?;
        let Some(sev) = Severity::parse(severity.trim()) else {
            return Err(Error::invalid(
                "severity",
                format!("must be one of {}", Severity::keys()),
            ));
        };
        let a = self
            .store()
            .treatment()
            .set_severity(
                &actor.scope,
                id,
                sev.as_str(),
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "treatment.severity",
            "admission",
            Some(id.to_string()),
            None,
            json!({ "severity": sev.as_str() }),
        )
        .await?;
        Ok(a)
    }

    /// Creates a treatment team inside the actor's jurisdiction. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `Invalid` for an empty or long name, a
    /// jurisdiction outside the actor's, no member, an unknown specialty, no leader or more
    /// than one; `Conflict` for a name in use or a member named twice.
    pub async fn create_team(&self, actor: &Actor, input: &TeamInput) -> Result<TeamView> {
        actor.require(Permission::TreatmentOperate)?;
        let mut invalid = Vec::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            invalid.push((
                "name".to_string(),
                "must be 1 to 100 characters".to_string(),
            ));
        }
        let code = input.jurisdiction_code.trim();
        if JurisdictionCode::parse(code).is_err() || !actor.scope.covers(code) {
            invalid.push((
                "jurisdiction_code".to_string(),
                "must be a jurisdiction inside yours".to_string(),
            ));
        } else if self.store().jurisdictions().get(code).await.is_err() {
            invalid.push((
                "jurisdiction_code".to_string(),
                "unknown jurisdiction".to_string(),
            ));
        }
        if input.members.is_empty() {
            invalid.push((
                "members".to_string(),
                "a team has at least one member".to_string(),
            ));
        }
        for (i, (member, specialty, _)) in input.members.iter().enumerate() {
            if member.trim().is_empty() || member.chars().count() > 50 {
                invalid.push((
                    format!("members[{i}].name"),
                    "must be 1 to 50 characters".to_string(),
                ));
            }
            if Specialty::parse(specialty.trim()).is_none() {
                invalid.push((
                    format!("members[{i}].specialty"),
                    format!("must be one of {}", Specialty::keys()),
                ));
            }
        }
        let leaders = input.members.iter().filter(|m| m.2).count();
        if !input.members.is_empty() && leaders != 1 {
            invalid.push((
                "members".to_string(),
                format!("a team has one leader, not {leaders}"),
            ));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let members: Vec<(String, String, bool)> = input
            .members
            .iter()
            .map(|(n, s, l)| (n.trim().to_string(), s.trim().to_string(), *l))
            .collect();
        let id = self
            .store()
            .treatment()
            .create_team(name, code, &members, self.now_ms())
            .await?;
        self.audit(
            actor,
            "treatment.team_create",
            "team",
            Some(id.to_string()),
            None,
            json!({ "name": name, "members": members.len() }),
        )
        .await?;
        self.team(actor, id).await
    }

    /// A team with its members and deployments now and next.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`; `NotFound` outside the jurisdiction.
    pub async fn team(&self, actor: &Actor, id: i64) -> Result<TeamView> {
        actor.require(Permission::TreatmentRead)?;
        let team = self.store().treatment().team(&actor.scope, id).await?;
        Ok(self.team_views(vec![team]).await?.remove(0))
    }

    /// The teams inside the actor's jurisdiction with members and deployments.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`.
    pub async fn teams(&self, actor: &Actor) -> Result<Vec<TeamView>> {
        actor.require(Permission::TreatmentRead)?;
        let teams = self.store().treatment().teams(&actor.scope).await?;
        self.team_views(teams).await
    }

    async fn team_views(&self, teams: Vec<Team>) -> Result<Vec<TeamView>> {
        let today = self.today();
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        let mut members: HashMap<i64, Vec<TeamMember>> = HashMap::new();
        for m in self.store().treatment().members(&ids).await? {
            members.entry(m.team_id).or_default().push(m);
        }
        let far_past = (today - Duration::days(3650)).to_string();
        let far_future = (today + Duration::days(3650)).to_string();
        let mut deployments: HashMap<i64, Vec<Deployment>> = HashMap::new();
        for d in self
            .store()
            .treatment()
            .deployments(&Scope::system(), &far_past, &far_future)
            .await?
        {
            deployments.entry(d.team_id).or_default().push(d);
        }
        let today_text = today.to_string();
        Ok(teams
            .into_iter()
            .map(|team| {
                let ds = deployments.remove(&team.id).unwrap_or_default();
                let current = ds
                    .iter()
                    .find(|d| d.starts_on <= today_text && d.ends_on >= today_text)
                    .cloned();
                let next = ds
                    .iter()
                    .filter(|d| d.starts_on > today_text)
                    .min_by(|a, b| a.starts_on.cmp(&b.starts_on))
                    .cloned();
                let resting_days = if current.is_some() {
                    None
                } else {
                    ds.iter()
                        .filter(|d| d.ends_on < today_text)
                        .filter_map(|d| NaiveDate::parse_from_str(&d.ends_on, "%Y-%m-%d").ok())
                        .max()
                        .map(|end| (today - end).num_days())
                };
                TeamView {
                    members: members.remove(&team.id).unwrap_or_default(),
                    team,
                    current,
                    next,
                    resting_days,
                }
            })
            .collect())
    }

    /// Deploys a team to a hospital or quarantine site inside the actor's jurisdiction for a
    /// period (at most 60 days); with `rotate_out`, that deployment of another team at the
    /// facility ends the day before (a rotation). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.operate`; `NotFound` for a team outside the
    /// jurisdiction; `Invalid` for a facility that is not a hospital or site of the
    /// jurisdiction, a period ending before it starts or longer than 60 days; `Conflict` when
    /// the team is deployed elsewhere then or the rotated deployment does not fit.
    pub async fn deploy_team(
        &self,
        actor: &Actor,
        team_id: i64,
        input: &DeployInput,
    ) -> Result<TeamView> {
        actor.require(Permission::TreatmentOperate)?;
        self.store().treatment().team(&actor.scope, team_id).await?;
        let mut invalid = Vec::new();
        match self
            .store()
            .facilities()
            .get(&actor.scope, input.facility_id)
            .await
        {
            Ok(f) if f.kind == "hospital" || f.kind == "quarantine_site" => {}
            Ok(_) | Err(fangkong_store::StoreError::NotFound) => invalid.push((
                "facility_id".to_string(),
                "must be a hospital or quarantine site of your jurisdiction".to_string(),
            )),
            Err(e) => return Err(e.into()),
        }
        let days = (input.ends_on - input.starts_on).num_days() + 1;
        if !(1..=60).contains(&days) {
            invalid.push((
                "ends_on".to_string(),
                "must be on or after starts_on, at most 60 days later".to_string(),
            ));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let day_before = (input.starts_on - Duration::days(1)).to_string();
        let id = self
            .store()
            .treatment()
            .deploy(
                &NewDeployment {
                    team_id,
                    facility_id: input.facility_id,
                    starts_on: &input.starts_on.to_string(),
                    ends_on: &input.ends_on.to_string(),
                    rotate_out: input.rotate_out.map(|d| (d, day_before.as_str())),
                },
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "treatment.deploy",
            "team",
            Some(team_id.to_string()),
            None,
            json!({
                "deployment": id,
                "facility": input.facility_id,
                "starts_on": input.starts_on.to_string(),
                "ends_on": input.ends_on.to_string(),
                "rotate_out": input.rotate_out,
            }),
        )
        .await?;
        self.team(actor, team_id).await
    }

    /// Deployments running on some day of `from..=to` of teams or at facilities inside the
    /// actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read` or `isolation.read`.
    pub async fn deployments(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Deployment>> {
        if !actor.scope.can(Permission::TreatmentRead)
            && !actor.scope.can(Permission::IsolationRead)
        {
            return Err(Error::Forbidden);
        }
        Ok(self
            .store()
            .treatment()
            .deployments(&actor.scope, &from.to_string(), &to.to_string())
            .await?)
    }

    /// Beds of each type over the next 14 days at the hospitals inside the actor's
    /// jurisdiction: see [`crate::forecast`]. Open admissions leave after the length of stay
    /// of the type (the median of the discharges of the last 30 days, or
    /// [`DEFAULT_STAY_DAYS`]); new admissions follow the trend of the last 14 days.
    ///
    /// # Errors
    /// `Forbidden` without `treatment.read`.
    pub async fn treatment_forecast(
        &self,
        actor: &Actor,
    ) -> Result<Vec<crate::forecast::PoolForecast>> {
        actor.require(Permission::TreatmentRead)?;
        let today = self.today();
        let hospitals = self.store().treatment().hospitals(&actor.scope).await?;
        let history_from = today - Duration::days(crate::forecast::HISTORY_DAYS);
        let since_30 = crate::clock::china_midnight_ms(today - Duration::days(30));
        let times = self
            .store()
            .treatment()
            .admission_times(
                &actor.scope,
                since_30.min(crate::clock::china_midnight_ms(history_from)),
            )
            .await?;
        let mut out = Vec::new();
        for totals in bed_totals(&hospitals) {
            let key = totals.bed_type.as_str();
            let mut lengths: Vec<i64> = times
                .iter()
                .filter(|(t, _, d, o)| {
                    t == key
                        && d.is_some_and(|d| d >= since_30)
                        && o.as_deref() != Some("transferred")
                })
                .map(|(_, a, d, _)| (d.unwrap_or(*a) - a) / 86_400_000)
                .collect();
            let default_los = DEFAULT_STAY_DAYS
                .iter()
                .find(|(t, _)| *t == totals.bed_type)
                .map_or(14, |(_, d)| *d);
            let los = crate::isolation::median_days(&mut lengths).unwrap_or(default_los);
            let mut admitted_per_day: HashMap<NaiveDate, u32> = HashMap::new();
            let mut releases = Vec::new();
            for (t, admitted, discharged, _) in &times {
                if t != key {
                    continue;
                }
                let day = crate::isolation::china_day_of(*admitted);
                if day >= history_from && day < today {
                    *admitted_per_day.entry(day).or_default() += 1;
                }
                if discharged.is_none() {
                    let leave =
                        (day + Duration::days(i64::from(los))).max(today + Duration::days(1));
                    releases.push(leave);
                }
            }
            let history: Vec<u32> = (0..crate::forecast::HISTORY_DAYS)
                .map(|k| {
                    admitted_per_day
                        .get(&(history_from + Duration::days(k)))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            // A fresh scenario forecast gives the arrivals of isolation beds (its cases: a
            // confirmed case is treated in a designated hospital's isolation ward) and of
            // ICU beds (its severe admissions); general beds keep their trend.
            let scenario = match key {
                "isolation" => self.scenario_series(actor, |m| m.cases.clone()).await?,
                "icu" => {
                    self.scenario_series(actor, |m| m.admissions.clone())
                        .await?
                }
                _ => None,
            };
            out.push(crate::forecast::pool(crate::forecast::PoolFacts {
                pool: key.to_string(),
                today,
                capacity: totals.beds,
                occupied: totals.occupied,
                cleaning: 0,
                releases,
                history,
                length_of_stay: los,
                turnaround_days: 0,
                scenario,
            })?);
        }
        Ok(out)
    }
}
