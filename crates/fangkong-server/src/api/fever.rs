//! `/api/v1/fever`: fever-clinic visits (the fourth pocket of inbound control), their
//! results and dispositions, and the open-loop list of visits past a deadline.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    FeverDispositionCreate, FeverOpenLoop, FeverOpenLoops, FeverResult, FeverResultCreate,
    FeverVisit, FeverVisitCreate, ImportSummary, Page, Problem,
};
use fangkong_app::fever::{ResultInput, VisitInput, DISPOSITION_DUE_HOURS, RESULT_DUE_HOURS};
use fangkong_store::fever::{ResultSource, Visit};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

const HOUR_MS: i64 = 3_600_000;

/// The wire form of a visit.
pub(crate) fn visit_to_wire(v: &Visit) -> FeverVisit {
    FeverVisit {
        id: v.id,
        clinic_id: v.clinic_id,
        clinic_name: v.clinic_name.clone(),
        community_code: v.community_code.clone(),
        person_id: v.person_id,
        person_name: v.person_name.clone(),
        id_number: v.person_doc_masked.clone(),
        visit_at: v.visit_at,
        temperature: v.temperature,
        symptoms: v.symptom_keys().into_iter().map(str::to_string).collect(),
        epi_history: v.epi_history,
        tube_code: v.tube_code.clone(),
        result: v.result().map(|r| FeverResult {
            outcome: r.outcome.to_string(),
            at: r.at,
            lab: r.lab.map(str::to_string),
            source: match r.source {
                ResultSource::Tube => "tube",
                ResultSource::Direct => "direct",
            }
            .to_string(),
        }),
        disposition: v.disposition.clone(),
        disposition_at: v.disposition_at,
        disposition_by: v.disposition_by.clone(),
        result_due_at: v.visit_at + RESULT_DUE_HOURS * HOUR_MS,
        disposition_due_at: v.visit_at + DISPOSITION_DUE_HOURS * HOUR_MS,
        recorded_at: v.recorded_at,
        recorded_by: v.recorded_by.clone(),
    }
}

fn result_input(r: &FeverResultCreate) -> ResultInput {
    ResultInput {
        outcome: r.outcome.clone(),
        at: r.at.clone(),
        lab: r.lab.clone(),
    }
}

/// Record a fever-clinic visit. The patient is found by ID number in the registry (never
/// stored here); the same clinic, person and visit time again changes nothing (200).
#[utoipa::path(post, path = "/api/v1/fever/visits", tag = "fever", request_body = FeverVisitCreate,
    responses((status = 201, body = FeverVisit), (status = 200, body = FeverVisit),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn record_visit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<FeverVisitCreate>,
) -> ApiResult<(StatusCode, Json<FeverVisit>)> {
    let input = VisitInput {
        clinic_id: body.clinic_id,
        id_number: body.id_number,
        visit_at: body.visit_at,
        temperature: body.temperature,
        symptoms: body.symptoms,
        epi_history: body.epi_history,
        tube_code: body.tube_code,
        result: body.result.as_ref().map(result_input),
    };
    let (visit, created) = state.app.record_fever_visit(&actor, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(visit_to_wire(&visit))))
}

/// Filters of visit lists and the open-loop list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FeverQuery {
    /// Only this clinic (facility id).
    clinic_id: Option<i64>,
    /// Only clinics within this jurisdiction (a county code, usually).
    county: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Fever-clinic visits inside the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/fever/visits", tag = "fever", params(FeverQuery),
    responses((status = 200, body = Page<FeverVisit>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn visits(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<FeverQuery>,
) -> ApiResult<Json<Page<FeverVisit>>> {
    let (limit, offset) = super::page(q.limit, q.offset, 100);
    let visits = state
        .app
        .fever_visits(&actor, q.clinic_id, q.county.as_deref(), limit, offset)
        .await?;
    Ok(Json(Page {
        items: visits.iter().map(visit_to_wire).collect(),
        total: None,
    }))
}

/// One fever-clinic visit.
#[utoipa::path(get, path = "/api/v1/fever/visits/{id}", tag = "fever",
    params(("id" = i64, Path, description = "Visit id")),
    responses((status = 200, body = FeverVisit), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn visit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<FeverVisit>> {
    let visit = state.app.fever_visit(&actor, id).await?;
    Ok(Json(visit_to_wire(&visit)))
}

/// Record a result directly on a visit (a linked tube's result in testing, when there is
/// one, still counts first).
#[utoipa::path(post, path = "/api/v1/fever/visits/{id}/result", tag = "fever",
    params(("id" = i64, Path, description = "Visit id")), request_body = FeverResultCreate,
    responses((status = 200, body = FeverVisit), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn record_result(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<FeverResultCreate>,
) -> ApiResult<Json<FeverVisit>> {
    let visit = state
        .app
        .record_fever_result(&actor, id, &result_input(&body))
        .await?;
    Ok(Json(visit_to_wire(&visit)))
}

/// Record the disposition of a visit.
#[utoipa::path(post, path = "/api/v1/fever/visits/{id}/disposition", tag = "fever",
    params(("id" = i64, Path, description = "Visit id")), request_body = FeverDispositionCreate,
    responses((status = 200, body = FeverVisit), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn record_disposition(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<FeverDispositionCreate>,
) -> ApiResult<Json<FeverVisit>> {
    let visit = state
        .app
        .record_fever_disposition(&actor, id, &body.disposition, body.at.as_deref())
        .await?;
    Ok(Json(visit_to_wire(&visit)))
}

/// The open loops: visits past a deadline (result 12 hours, disposition 24 hours after the
/// visit; a positive result not followed by admission or transfer), most overdue first,
/// with the number of visits due within the next 2 hours.
#[utoipa::path(get, path = "/api/v1/fever/open-loops", tag = "fever", params(FeverQuery),
    responses((status = 200, body = FeverOpenLoops), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open_loops(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<FeverQuery>,
) -> ApiResult<Json<FeverOpenLoops>> {
    let loops = state
        .app
        .fever_open_loops(&actor, q.clinic_id, q.county.as_deref())
        .await?;
    Ok(Json(FeverOpenLoops {
        items: loops
            .loops
            .iter()
            .map(|l| FeverOpenLoop {
                reason: l.reason.as_str().to_string(),
                due_at: l.due_at,
                overdue_hours: l.overdue_hours,
                visit: visit_to_wire(&l.visit),
            })
            .collect(),
        due_soon: loops.due_soon,
    }))
}

/// Import a visit list (CSV or XLSX: `clinic_id`, `id_number`, `visit_at`, `temperature`,
/// optional `symptoms`, `epi_history`, `tube_code`, `result`, `result_at`, `lab`), all rows or
/// none; a visit already recorded is left as it is.
#[utoipa::path(post, path = "/api/v1/fever/visits:import", tag = "fever", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_visits(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q
        .file_name
        .unwrap_or_else(|| "fever-visits.csv".to_string());
    let outcome = state.app.import_fever_visits(&actor, &file, &body).await?;
    Ok(Json(super::import_summary(file, outcome)))
}
