//! `/api/v1/treatment`: hospitals and beds, admissions (transfer, severity, discharge),
//! treatment teams with deployments and rotation, and the bed forecast.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use fangkong_api_types::{
    Admission, AdmissionCreate, AdmissionDetail, AdmissionDischarge, AdmissionEvent,
    AdmissionTransfer, CapacityForecast, DeploymentCreate, Hospital, Page, Problem, SeverityBody,
    Team, TeamCreate, TeamDeployment, TeamMember,
};
use fangkong_app::treatment::{AdmitInput, DeployInput, TeamInput, TeamView};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_store::treatment::{self as st, AdmissionFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::isolation::{deployment_to_wire, forecast_to_wire};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn hospital_to_wire(h: &st::HospitalRow) -> Hospital {
    Hospital {
        id: h.id,
        name: h.name.clone(),
        kind: h.subtype.clone(),
        community_code: h.community_code.clone(),
        beds_general: h.beds_general,
        beds_icu: h.beds_icu,
        beds_isolation: h.beds_isolation,
        occupied_general: h.occupied_general,
        occupied_icu: h.occupied_icu,
        occupied_isolation: h.occupied_isolation,
    }
}

pub(crate) fn admission_to_wire(a: &st::Admission) -> Admission {
    Admission {
        id: a.id,
        person_id: a.person_id,
        person_name: mask_name(&a.person_name),
        id_number: a.doc_masked.clone(),
        case_id: a.case_id,
        hospital_id: a.facility_id,
        hospital_name: a.hospital_name.clone(),
        bed_type: a.bed_type.clone(),
        severity: a.severity.clone(),
        admitted_at: a.admitted_at,
        admitted_by: a.admitted_by.clone(),
        from_admission_id: a.from_admission_id,
        from_stay_id: a.from_stay_id,
        discharged_at: a.discharged_at,
        outcome: a.outcome.clone(),
        outcome_note: a.outcome_note.clone(),
    }
}

fn team_to_wire(t: &TeamView) -> Team {
    Team {
        id: t.team.id,
        name: t.team.name.clone(),
        jurisdiction_code: t.team.jurisdiction_code.clone(),
        members: t
            .members
            .iter()
            .map(|m| TeamMember {
                name: m.name.clone(),
                specialty: m.specialty.clone(),
                leader: m.leader,
            })
            .collect(),
        current: t.current.as_ref().map(deployment_to_wire),
        next: t.next.as_ref().map(deployment_to_wire),
        resting_days: t.resting_days,
    }
}

fn day(field: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "must be a date YYYY-MM-DD"))
}

/// Hospitals inside the caller's jurisdiction (designated first) with beds by type.
#[utoipa::path(get, path = "/api/v1/treatment/hospitals", tag = "treatment",
    responses((status = 200, body = Vec<Hospital>), (status = 403, body = Problem)))]
pub async fn hospitals(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<Hospital>>> {
    let rows = state.app.hospitals(&actor).await?;
    Ok(Json(rows.iter().map(hospital_to_wire).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AdmissionQuery {
    /// Only admissions at this hospital.
    hospital: Option<i64>,
    /// Only patients still in hospital.
    open: Option<bool>,
    limit: Option<i64>,
}

/// Admissions at the hospitals inside the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/treatment/admissions", tag = "treatment", params(AdmissionQuery),
    responses((status = 200, body = Page<Admission>), (status = 403, body = Problem)))]
pub async fn admissions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AdmissionQuery>,
) -> ApiResult<Json<Page<Admission>>> {
    let rows = state
        .app
        .admissions(
            &actor,
            &AdmissionFilter {
                hospital: q.hospital,
                open_only: q.open.unwrap_or(false),
                limit: q.limit.unwrap_or(500).clamp(1, 5_000),
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(admission_to_wire).collect(),
        total: None,
    }))
}

/// Admit a person to a bed of a designated hospital of the caller's jurisdiction (refused
/// when the ward is full or the person is already admitted).
#[utoipa::path(post, path = "/api/v1/treatment/admissions", tag = "treatment",
    request_body = AdmissionCreate,
    responses((status = 201, body = Admission), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn admit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<AdmissionCreate>,
) -> ApiResult<(StatusCode, Json<Admission>)> {
    let a = state
        .app
        .admit(
            &actor,
            &AdmitInput {
                person_id: b.person_id,
                hospital_id: b.hospital_id,
                bed_type: b.bed_type,
                severity: b.severity,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(admission_to_wire(&a))))
}

/// An admission with its history.
#[utoipa::path(get, path = "/api/v1/treatment/admissions/{id}", tag = "treatment",
    params(("id" = i64, Path, description = "Admission id")),
    responses((status = 200, body = AdmissionDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn admission(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<AdmissionDetail>> {
    let (a, events) = state.app.admission(&actor, id).await?;
    Ok(Json(AdmissionDetail {
        admission: admission_to_wire(&a),
        events: events
            .iter()
            .map(|e| AdmissionEvent {
                at: e.at,
                kind: e.kind.clone(),
                detail: e.detail.clone(),
                actor: e.actor.clone(),
            })
            .collect(),
    }))
}

/// Transfer a patient to another ward or designated hospital; returns the new admission.
#[utoipa::path(post, path = "/api/v1/treatment/admissions/{id}/transfer", tag = "treatment",
    params(("id" = i64, Path, description = "Admission id")), request_body = AdmissionTransfer,
    responses((status = 201, body = Admission), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn transfer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<AdmissionTransfer>,
) -> ApiResult<(StatusCode, Json<Admission>)> {
    let a = state
        .app
        .transfer_admission(&actor, id, b.hospital_id, &b.bed_type, &b.severity)
        .await?;
    Ok((StatusCode::CREATED, Json(admission_to_wire(&a))))
}

/// Discharge a patient: `recovered`, `died` or `other`.
#[utoipa::path(post, path = "/api/v1/treatment/admissions/{id}/discharge", tag = "treatment",
    params(("id" = i64, Path, description = "Admission id")), request_body = AdmissionDischarge,
    responses((status = 200, body = Admission), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn discharge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<AdmissionDischarge>,
) -> ApiResult<Json<Admission>> {
    let a = state
        .app
        .discharge(&actor, id, &b.outcome, b.note.as_deref())
        .await?;
    Ok(Json(admission_to_wire(&a)))
}

/// Record a change of severity.
#[utoipa::path(post, path = "/api/v1/treatment/admissions/{id}/severity", tag = "treatment",
    params(("id" = i64, Path, description = "Admission id")), request_body = SeverityBody,
    responses((status = 200, body = Admission), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn severity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<SeverityBody>,
) -> ApiResult<Json<Admission>> {
    let a = state
        .app
        .set_admission_severity(&actor, id, &b.severity)
        .await?;
    Ok(Json(admission_to_wire(&a)))
}

/// Treatment teams inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/treatment/teams", tag = "treatment",
    responses((status = 200, body = Vec<Team>), (status = 403, body = Problem)))]
pub async fn teams(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<Team>>> {
    let rows = state.app.teams(&actor).await?;
    Ok(Json(rows.iter().map(team_to_wire).collect()))
}

/// Create a team (one leader among its members).
#[utoipa::path(post, path = "/api/v1/treatment/teams", tag = "treatment",
    request_body = TeamCreate,
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_team(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<TeamCreate>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let t = state
        .app
        .create_team(
            &actor,
            &TeamInput {
                name: b.name,
                jurisdiction_code: b.jurisdiction_code,
                members: b
                    .members
                    .into_iter()
                    .map(|m| (m.name, m.specialty, m.leader))
                    .collect(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(team_to_wire(&t))))
}

/// Deploy a team to a hospital or site for a period; `rotate_out` hands over from another
/// team's deployment there.
#[utoipa::path(post, path = "/api/v1/treatment/teams/{id}/deployments", tag = "treatment",
    params(("id" = i64, Path, description = "Team id")), request_body = DeploymentCreate,
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn deploy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<DeploymentCreate>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let input = DeployInput {
        facility_id: b.facility_id,
        starts_on: day("starts_on", &b.starts_on)?,
        ends_on: day("ends_on", &b.ends_on)?,
        rotate_out: b.rotate_out,
    };
    let t = state.app.deploy_team(&actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(team_to_wire(&t))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeploymentQuery {
    /// First day (`YYYY-MM-DD`, default today).
    from: Option<String>,
    /// Last day (`YYYY-MM-DD`, default 14 days after `from`).
    to: Option<String>,
}

/// Deployments running on some day of the period (the rotation plan).
#[utoipa::path(get, path = "/api/v1/treatment/deployments", tag = "treatment", params(DeploymentQuery),
    responses((status = 200, body = Vec<TeamDeployment>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn deployments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DeploymentQuery>,
) -> ApiResult<Json<Vec<TeamDeployment>>> {
    let from = match q.from.as_deref() {
        Some(t) => day("from", t)?,
        None => state.app.today(),
    };
    let to = match q.to.as_deref() {
        Some(t) => day("to", t)?,
        None => from + chrono::Duration::days(14),
    };
    let rows = state.app.deployments(&actor, from, to).await?;
    Ok(Json(rows.iter().map(deployment_to_wire).collect()))
}

/// Beds of each type over the next 14 days at the hospitals inside the caller's
/// jurisdiction.
#[utoipa::path(get, path = "/api/v1/treatment/forecast", tag = "treatment",
    responses((status = 200, body = Vec<CapacityForecast>), (status = 403, body = Problem)))]
pub async fn forecast(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<CapacityForecast>>> {
    let f = state.app.treatment_forecast(&actor).await?;
    Ok(Json(f.iter().map(forecast_to_wire).collect()))
}
