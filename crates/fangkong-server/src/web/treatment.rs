//! Treatment pages (医疗救治): the hospital board with beds by type, the bed forecasts, the
//! open admissions and the admission form; an admission with its history and the transfer,
//! severity and discharge forms; and the treatment teams with their members, deployments and
//! the rotation plan of the next four weeks.
//!
//! Every value comes from an app function, which checks `treatment.read` (or
//! `treatment.operate`) and keeps to the actor's jurisdiction; patients' names are shown
//! masked and ID numbers only in their masked form. This module decides nothing about
//! access.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::{Duration, NaiveDate};
use fangkong_app::treatment::{bed_totals, AdmitInput, DeployInput, TeamInput, TeamView};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::{AdmissionOutcome, BedType, Permission, Severity, Specialty};
use fangkong_store::treatment::{Admission, AdmissionFilter, Deployment, HospitalRow};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, china_time, err, name_of, options, Notice};
use super::isolation::{answer, bar, done_notice, forecast_value, id_field, opt, refused};
use super::{check_csrf, render_page, PageResult};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

/// Open admissions listed on the board.
const ADMISSIONS: i64 = 200;
/// Days the rotation plan covers.
const PLAN_DAYS: i64 = 28;
/// Days ahead whose deployments a rotation may relieve.
const RELIEVE_DAYS: i64 = 60;
/// Days a new deployment lasts by default (the form's end date).
const DEPLOY_DAYS: i64 = 14;

// ---------------------------------------------------------------------------------------
// Values for templates.

fn hospital_value(h: &HospitalRow, lang: Lang) -> Value {
    context! {
        id => h.id,
        name => h.name.clone(),
        subtype => h.subtype.clone(),
        designated => h.subtype == "designated",
        community_code => h.community_code.clone(),
        types => BedType::ALL.iter().map(|t| {
            let (beds, occupied) = h.beds(t.as_str());
            beds_value(*t, beds, occupied, lang)
        }).collect::<Vec<_>>(),
    }
}

fn beds_value(t: BedType, beds: i64, occupied: i64, lang: Lang) -> Value {
    let free = beds - occupied;
    context! {
        key => t.as_str(), name => by_lang(lang, t.name_zh(), t.name_en()),
        beds => beds, occupied => occupied, free => free,
        full => beds > 0 && free <= 0,
        bar => bar(&[("occupied", occupied), ("free", free)], beds),
    }
}

fn admission_value(a: &Admission, lang: Lang) -> Value {
    context! {
        id => a.id,
        person_id => a.person_id,
        name => mask_name(&a.person_name),
        doc_masked => a.doc_masked.clone(),
        case_id => a.case_id,
        hospital_id => a.facility_id,
        hospital_name => a.hospital_name.clone(),
        community_code => a.community_code.clone(),
        bed_type => a.bed_type.clone(),
        bed_type_name => name_of!(BedType, lang, &a.bed_type),
        severity => a.severity.clone(),
        severity_name => name_of!(Severity, lang, &a.severity),
        admitted_at => china_time(a.admitted_at),
        admitted_by => a.admitted_by.clone(),
        from_admission_id => a.from_admission_id,
        from_stay_id => a.from_stay_id,
        discharged_at => a.discharged_at.map(china_time),
        outcome => a.outcome.clone(),
        outcome_name => a.outcome.as_deref().map(|o| name_of!(AdmissionOutcome, lang, o)),
        outcome_note => a.outcome_note.clone(),
        open => a.discharged_at.is_none(),
    }
}

/// A history entry's detail in `lang`: its vocabulary keys (`icu severe`, `mild → severe`,
/// `recovered note`) named, anything else as stored.
fn event_detail(detail: &str, lang: Lang) -> String {
    detail
        .split(' ')
        .map(|w| {
            BedType::parse(w)
                .map(|t| by_lang(lang, t.name_zh(), t.name_en()))
                .or_else(|| Severity::parse(w).map(|s| by_lang(lang, s.name_zh(), s.name_en())))
                .or_else(|| {
                    AdmissionOutcome::parse(w).map(|o| by_lang(lang, o.name_zh(), o.name_en()))
                })
                .unwrap_or_else(|| w.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn deployment_label(d: &Deployment) -> String {
    format!(
        "{} · {} · {} – {}",
        d.team_name, d.facility_name, d.starts_on, d.ends_on
    )
}

fn team_value(t: &TeamView, lang: Lang) -> Value {
    let dep = |d: &Deployment| {
        context! {
            id => d.id, facility_id => d.facility_id, facility_name => d.facility_name.clone(),
            facility_kind => d.facility_kind.clone(),
            starts_on => d.starts_on.clone(), ends_on => d.ends_on.clone(),
        }
    };
    context! {
        id => t.team.id,
        name => t.team.name.clone(),
        jurisdiction_code => t.team.jurisdiction_code.clone(),
        members => t.members.iter().map(|m| context! {
            name => m.name.clone(), leader => m.leader,
            specialty => name_of!(Specialty, lang, &m.specialty),
        }).collect::<Vec<_>>(),
        current => t.current.as_ref().map(dep),
        next => t.next.as_ref().map(dep),
        resting_days => t.resting_days,
    }
}

/// The designated hospitals of the actor's jurisdiction (where the admit form may admit).
fn designated(hospitals: &[HospitalRow]) -> Vec<Value> {
    hospitals
        .iter()
        .filter(|h| h.subtype == "designated")
        .map(|h| context! { id => h.id, name => h.name.clone() })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The board.

/// What a form did (after a redirect).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// The admission form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdmitForm {
    csrf: String,
    person_id: String,
    hospital_id: String,
    bed_type: String,
    severity: String,
}

impl AdmitForm {
    fn value(&self) -> Value {
        context! {
            person_id => self.person_id.clone(),
            hospital_id => self.hospital_id.trim().parse::<i64>().ok(),
            bed_type => self.bed_type.clone(), severity => self.severity.clone(),
        }
    }
}

async fn board_page(
    state: &AppState,
    user: &WebUser,
    (notice, status): (Notice, StatusCode),
    form: Option<&AdmitForm>,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let hospitals = state.app.hospitals(&user.actor).await.map_err(&e)?;
    let forecasts = state
        .app
        .treatment_forecast(&user.actor)
        .await
        .map_err(&e)?;
    let admissions = state
        .app
        .admissions(
            &user.actor,
            &AdmissionFilter {
                hospital: None,
                open_only: true,
                limit: ADMISSIONS,
            },
        )
        .await
        .map_err(&e)?;
    let blank = AdmitForm::default();
    let page = context! {
        hospitals => hospitals.iter().map(|h| hospital_value(h, lang)).collect::<Vec<_>>(),
        bed_names => BedType::ALL.iter().map(|t| by_lang(lang, t.name_zh(), t.name_en())).collect::<Vec<_>>(),
        totals => bed_totals(&hospitals).iter().map(|t| beds_value(t.bed_type, t.beds, t.occupied, lang)).collect::<Vec<_>>(),
        forecasts => forecasts.iter().map(|f| {
            let t = BedType::parse(&f.pool).unwrap_or(BedType::General);
            let en = format!("{} beds", t.name_en());
            context! {
                name => by_lang(lang, t.name_zh(), t.name_en()),
                ..forecast_value(f, lang, &format!("bed-forecast-{}", f.pool), t.name_zh(), &en)
            }
        }).collect::<Vec<_>>(),
        admissions => admissions.iter().map(|a| admission_value(a, lang)).collect::<Vec<_>>(),
        limit => ADMISSIONS,
        admit_hospitals => designated(&hospitals),
        bed_types => options!(BedType, lang),
        severities => options!(Severity, lang),
        can_operate => user.actor.scope.can(Permission::TreatmentOperate),
        form => form.unwrap_or(&blank).value(),
        notice => notice.value(),
    };
    answer(
        render_page(
            state,
            user,
            "treatment/board.html",
            "treatment",
            "/treatment",
            page,
        ),
        status,
    )
}

/// `GET /treatment`.
pub async fn board(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let shown = done_notice(user.lang, "treatment", &q.done);
    board_page(&state, &user, shown, None).await
}

/// `POST /treatment/admissions`: admits a person, then shows the admission.
pub async fn admit(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<AdmitForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let person_id = id_field("person_id", &form.person_id, &mut invalid);
    let hospital_id = id_field("hospital_id", &form.hospital_id, &mut invalid);
    let r = if invalid.is_empty() {
        let input = AdmitInput {
            person_id,
            hospital_id,
            bed_type: form.bed_type.trim().to_string(),
            severity: form.severity.trim().to_string(),
        };
        state.app.admit(&user.actor, &input).await
    } else {
        Err(Error::Invalid(invalid))
    };
    match r {
        Ok(a) => Ok(
            Redirect::to(&format!("/treatment/admissions/{}?done=admitted", a.id)).into_response(),
        ),
        Err(e) => {
            let shown = refused(e, user.lang)?;
            board_page(&state, &user, shown, Some(&form)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// An admission.

/// The transfer form of an admission.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TransferForm {
    csrf: String,
    hospital_id: String,
    bed_type: String,
    severity: String,
}

impl TransferForm {
    fn value(&self) -> Value {
        context! {
            hospital_id => self.hospital_id.trim().parse::<i64>().ok(),
            bed_type => self.bed_type.clone(), severity => self.severity.clone(),
        }
    }
}

/// The severity and discharge forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdmissionForm {
    csrf: String,
    severity: String,
    outcome: String,
    note: String,
}

async fn admission_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    (notice, status): (Notice, StatusCode),
    transfer: Option<&TransferForm>,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let (a, events) = state.app.admission(&user.actor, id).await.map_err(&e)?;
    let can_operate = user.actor.scope.can(Permission::TreatmentOperate);
    let destinations = if can_operate && a.discharged_at.is_none() {
        state
            .app
            .designated_hospitals(&user.actor)
            .await
            .map_err(&e)?
    } else {
        Vec::new()
    };
    let blank = TransferForm {
        severity: a.severity.clone(),
        ..TransferForm::default()
    };
    let page = context! {
        a => admission_value(&a, lang),
        events => events.iter().map(|ev| context! {
            at => china_time(ev.at), kind => ev.kind.clone(),
            detail => event_detail(&ev.detail, lang), actor => ev.actor.clone(),
        }).collect::<Vec<_>>(),
        destinations => destinations.iter().map(|h| {
            let free = |t: BedType| { let (b, o) = h.beds(t.as_str()); b - o };
            context! {
                id => h.id, name => h.name.clone(),
                free_general => free(BedType::General), free_icu => free(BedType::Icu),
                free_isolation => free(BedType::Isolation),
            }
        }).collect::<Vec<_>>(),
        bed_types => options!(BedType, lang),
        severities => options!(Severity, lang),
        outcomes => AdmissionOutcome::ALL.iter().filter(|o| **o != AdmissionOutcome::Transferred)
            .map(|o| context! { key => o.as_str(), name => by_lang(lang, o.name_zh(), o.name_en()) })
            .collect::<Vec<_>>(),
        transfer => transfer.unwrap_or(&blank).value(),
        can_operate => can_operate,
        notice => notice.value(),
    };
    let here = format!("/treatment/admissions/{id}");
    answer(
        render_page(
            state,
            user,
            "treatment/admission.html",
            "treatment",
            &here,
            page,
        ),
        status,
    )
}

/// `GET /treatment/admissions/{id}`.
pub async fn admission(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let shown = done_notice(user.lang, "treatment", &q.done);
    admission_page(&state, &user, id, shown, None).await
}

/// After an admission action: the admission's page (`to`, the new one after a transfer),
/// or this one with the refusal.
async fn after_admission_action(
    state: &AppState,
    user: &WebUser,
    id: i64,
    result: Result<Admission, Error>,
    done: &str,
    transfer: Option<&TransferForm>,
) -> PageResult {
    match result {
        Ok(a) => Ok(
            Redirect::to(&format!("/treatment/admissions/{}?done={done}", a.id)).into_response(),
        ),
        Err(e) => {
            let shown = refused(e, user.lang)?;
            admission_page(state, user, id, shown, transfer).await
        }
    }
}

/// `POST /treatment/admissions/{id}/transfer`: to another bed type or designated hospital
/// (a full ward changes nothing: 409); shows the new admission.
pub async fn transfer(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<TransferForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let hospital_id = id_field("hospital_id", &form.hospital_id, &mut invalid);
    let r = if invalid.is_empty() {
        state
            .app
            .transfer_admission(&user.actor, id, hospital_id, &form.bed_type, &form.severity)
            .await
    } else {
        Err(Error::Invalid(invalid))
    };
    after_admission_action(&state, &user, id, r, "transferred", Some(&form)).await
}

/// `POST /treatment/admissions/{id}/severity`.
pub async fn severity(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<AdmissionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state
        .app
        .set_admission_severity(&user.actor, id, &form.severity)
        .await;
    after_admission_action(&state, &user, id, r, "severity_set", None).await
}

/// `POST /treatment/admissions/{id}/discharge`: recovered, died or other, with a note.
pub async fn discharge(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<AdmissionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state
        .app
        .discharge(&user.actor, id, &form.outcome, Some(&form.note))
        .await;
    after_admission_action(&state, &user, id, r, "discharged", None).await
}

// ---------------------------------------------------------------------------------------
// Teams.

/// The team form: members one a line as `name,specialty` (a specialty key or its Chinese
/// or English name; a Chinese comma or a tab also separates), the first line the leader.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamForm {
    csrf: String,
    name: String,
    jurisdiction_code: String,
    members: String,
}

impl TeamForm {
    fn value(&self) -> Value {
        context! {
            name => self.name.clone(), jurisdiction_code => self.jurisdiction_code.clone(),
            members => self.members.clone(),
        }
    }

    fn input(&self) -> TeamInput {
        let members = self
            .members
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, line)| {
                let (name, specialty) = line
                    .split_once([',', '，', '\t'])
                    .map_or((line, ""), |(n, s)| (n.trim(), s.trim()));
                (name.to_string(), specialty_key(specialty), i == 0)
            })
            .collect();
        TeamInput {
            name: self.name.trim().to_string(),
            jurisdiction_code: self.jurisdiction_code.trim().to_string(),
            members,
        }
    }
}

/// A specialty's key from its key or its Chinese or English name; anything else as typed
/// (the app names it in its refusal).
fn specialty_key(text: &str) -> String {
    Specialty::ALL
        .iter()
        .find(|s| {
            s.as_str() == text || s.name_zh() == text || s.name_en().eq_ignore_ascii_case(text)
        })
        .map_or_else(|| text.to_string(), |s| s.as_str().to_string())
}

/// The deployment form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeployForm {
    csrf: String,
    team_id: String,
    facility_id: String,
    starts_on: String,
    ends_on: String,
    rotate_out: String,
}

impl DeployForm {
    fn value(&self) -> Value {
        context! {
            team_id => self.team_id.trim().parse::<i64>().ok(),
            facility_id => self.facility_id.trim().parse::<i64>().ok(),
            starts_on => self.starts_on.clone(), ends_on => self.ends_on.clone(),
            rotate_out => self.rotate_out.trim().parse::<i64>().ok(),
        }
    }

    fn input(&self) -> Result<(i64, DeployInput), Error> {
        let mut invalid = Vec::new();
        let team_id = id_field("team_id", &self.team_id, &mut invalid);
        let facility_id = id_field("facility_id", &self.facility_id, &mut invalid);
        let mut day = |field: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| {
                    invalid.push((field.to_string(), "must be a date YYYY-MM-DD".to_string()));
                })
                .ok()
        };
        let starts_on = day("starts_on", &self.starts_on);
        let ends_on = day("ends_on", &self.ends_on);
        let rotate_out = opt(&self.rotate_out).map(|r| id_field("rotate_out", &r, &mut invalid));
        match (starts_on, ends_on) {
            (Some(starts_on), Some(ends_on)) if invalid.is_empty() => Ok((
                team_id,
                DeployInput {
                    facility_id,
                    starts_on,
                    ends_on,
                    rotate_out,
                },
            )),
            _ => Err(Error::Invalid(invalid)),
        }
    }
}

/// The rotation plan: per facility, its deployments over the next [`PLAN_DAYS`] days, each
/// as a bar placed on that window (percentages of its width).
fn rotation_plan(deployments: &[Deployment], today: NaiveDate, lang: Lang) -> Vec<Value> {
    let mut by_facility: BTreeMap<(String, i64), Vec<&Deployment>> = BTreeMap::new();
    for d in deployments {
        by_facility
            .entry((d.facility_name.clone(), d.facility_id))
            .or_default()
            .push(d);
    }
    let last = today + Duration::days(PLAN_DAYS - 1);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    by_facility
        .into_iter()
        .map(|((name, id), mut ds)| {
            ds.sort_by(|a, b| a.starts_on.cmp(&b.starts_on));
            let kind = ds
                .first()
                .map(|d| d.facility_kind.clone())
                .unwrap_or_default();
            let lanes: Vec<Value> = ds
                .iter()
                .enumerate()
                .map(|(lane, d)| {
                    let from = day(&d.starts_on).unwrap_or(today).max(today);
                    let to = day(&d.ends_on).unwrap_or(last).min(last);
                    let offset = (from - today).num_days() as f64;
                    let days = ((to - from).num_days() + 1).max(0) as f64;
                    let width = PLAN_DAYS as f64;
                    context! {
                        id => d.id, team_id => d.team_id, team_name => d.team_name.clone(),
                        starts_on => d.starts_on.clone(), ends_on => d.ends_on.clone(),
                        x => format!("{:.2}", 100.0 * offset / width),
                        w => format!("{:.2}", 100.0 * days / width),
                        y => lane * 20,
                    }
                })
                .collect();
            context! {
                id => id, name => name,
                kind_name => text(lang, &format!("kind.{kind}")),
                height => lanes.len() * 20,
                deployments => lanes,
            }
        })
        .collect()
}

async fn teams_page(
    state: &AppState,
    user: &WebUser,
    (notice, status): (Notice, StatusCode),
    team_form: Option<&TeamForm>,
    deploy_form: Option<&DeployForm>,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let today = state.app.today();
    let teams = state.app.teams(&user.actor).await.map_err(&e)?;
    let plan = state
        .app
        .deployments(&user.actor, today, today + Duration::days(PLAN_DAYS - 1))
        .await
        .map_err(&e)?;
    let can_operate = user.actor.scope.can(Permission::TreatmentOperate);
    let (hospitals, sites, relievable) = if can_operate {
        let hospitals = state.app.hospitals(&user.actor).await.map_err(&e)?;
        // Quarantine sites need `isolation.read`; without it a team goes to hospitals only.
        let sites = match state.app.isolation_sites(&user.actor).await {
            Ok(s) => s,
            Err(Error::Forbidden) => Vec::new(),
            Err(other) => return Err(e(other)),
        };
        let relievable = state
            .app
            .deployments(&user.actor, today, today + Duration::days(RELIEVE_DAYS))
            .await
            .map_err(&e)?;
        (designated(&hospitals), sites, relievable)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let blank_team = TeamForm {
        jurisdiction_code: user
            .actor
            .scope
            .root
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        ..TeamForm::default()
    };
    let blank_deploy = DeployForm {
        starts_on: today.to_string(),
        ends_on: (today + Duration::days(DEPLOY_DAYS - 1)).to_string(),
        ..DeployForm::default()
    };
    let page = context! {
        teams => teams.iter().map(|t| team_value(t, lang)).collect::<Vec<_>>(),
        plan => rotation_plan(&plan, today, lang),
        plan_days => PLAN_DAYS,
        plan_from => today.to_string(),
        plan_to => (today + Duration::days(PLAN_DAYS - 1)).to_string(),
        hospitals => hospitals,
        sites => sites.iter().map(|s| context! { id => s.id, name => s.name.clone() }).collect::<Vec<_>>(),
        relievable => relievable.iter().map(|d| context! { id => d.id, label => deployment_label(d) }).collect::<Vec<_>>(),
        specialties => options!(Specialty, lang),
        can_operate => can_operate,
        team_form => team_form.unwrap_or(&blank_team).value(),
        deploy_form => deploy_form.unwrap_or(&blank_deploy).value(),
        notice => notice.value(),
    };
    answer(
        render_page(
            state,
            user,
            "treatment/teams.html",
            "treatment",
            "/treatment/teams",
            page,
        ),
        status,
    )
}

/// `GET /treatment/teams`.
pub async fn teams(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let shown = done_notice(user.lang, "treatment", &q.done);
    teams_page(&state, &user, shown, None, None).await
}

/// `POST /treatment/teams`: creates a team.
pub async fn create_team(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<TeamForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match state.app.create_team(&user.actor, &form.input()).await {
        Ok(_) => Ok(Redirect::to("/treatment/teams?done=team_created").into_response()),
        Err(e) => {
            let shown = refused(e, user.lang)?;
            teams_page(&state, &user, shown, Some(&form), None).await
        }
    }
}

/// `POST /treatment/deployments`: deploys a team (relieving another team's deployment when
/// one is chosen: it ends the day before).
pub async fn deploy(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<DeployForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = match form.input() {
        Ok((team, input)) => state.app.deploy_team(&user.actor, team, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to("/treatment/teams?done=deployed").into_response()),
        Err(e) => {
            let shown = refused(e, user.lang)?;
            teams_page(&state, &user, shown, None, Some(&form)).await
        }
    }
}
