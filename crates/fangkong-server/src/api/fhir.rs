//! `/api/v1/fhir`: FHIR R4 interchange. `POST /api/v1/fhir` takes a Bundle (batch,
//! transaction or collection), NDJSON or one resource and answers a `batch-response` or
//! `transaction-response` Bundle (a refused transaction: 400 with an `OperationOutcome`
//! naming every issue at its JSON path); the read endpoints give Patients, Immunizations,
//! Observations (lab results) and Conditions (cases) with the same permissions and
//! jurisdiction as the rest of the API; `fhir:export` gives a `collection` Bundle.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use fangkong_api_types::Problem;
use fangkong_app::Error;
use fangkong_fhir::{BundleOut, SubmissionKind};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

const FHIR_JSON: &str = "application/fhir+json";

fn fhir(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        body.to_string(),
    )
        .into_response()
}

fn searchset(resources: Vec<Value>) -> Response {
    let entries: Vec<(String, Value)> = resources
        .into_iter()
        .map(|r| {
            let url = format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            );
            (url, r)
        })
        .collect();
    let total = entries.len() as u64;
    fhir(
        StatusCode::OK,
        &fangkong_fhir::bundle_json(BundleOut::Searchset { total }, entries),
    )
}

fn one(mut resources: Vec<Value>) -> ApiResult<Response> {
    match resources.pop() {
        Some(r) if resources.is_empty() => Ok(fhir(StatusCode::OK, &r)),
        _ => Err(Error::NotFound.into()),
    }
}

/// Import FHIR resources: Patient (a person), Immunization (a dose), Observation (a
/// SARS-CoV-2 RNA result of a collected tube) and DiagnosticReport. A `transaction` is all or
/// nothing; a `batch`, `collection`, NDJSON or single resource applies each valid entry.
#[utoipa::path(post, path = "/api/v1/fhir", tag = "fhir", params(ImportQuery),
    request_body(content = Vec<u8>, description = "A Bundle, NDJSON or one resource", content_type = "application/fhir+json"),
    responses((status = 200, description = "batch-response or transaction-response Bundle"),
        (status = 400, description = "A refused transaction: OperationOutcome"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let file = q.file_name.unwrap_or_else(|| "bundle.json".to_string());
    let done = state.app.import_fhir(&actor, &file, &body).await?;
    if done.kind == SubmissionKind::Transaction {
        if !done.applied {
            return Ok(fhir(
                StatusCode::BAD_REQUEST,
                &fangkong_fhir::operation_outcome_json(&done.issues()),
            ));
        }
        return Ok(fhir(
            StatusCode::OK,
            &fangkong_fhir::transaction_response_json(&done.outcomes),
        ));
    }
    Ok(fhir(
        StatusCode::OK,
        &fangkong_fhir::batch_response_json(&done.outcomes),
    ))
}

/// A person as a Patient (identifiers masked).
#[utoipa::path(get, path = "/api/v1/fhir/Patient/{id}", tag = "fhir",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, description = "Patient"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn patient(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(fhir(
        StatusCode::OK,
        &state.app.fhir_patient(&actor, id).await?,
    ))
}

/// The patient searched for.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PatientQuery {
    /// The person id.
    patient: Option<i64>,
}

/// A person's immunizations as a searchset Bundle.
#[utoipa::path(get, path = "/api/v1/fhir/Immunization", tag = "fhir", params(PatientQuery),
    responses((status = 200, description = "searchset Bundle"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn immunizations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PatientQuery>,
) -> ApiResult<Response> {
    Ok(searchset(
        state
            .app
            .fhir_immunizations(&actor, q.patient, None)
            .await?,
    ))
}

/// One immunization.
#[utoipa::path(get, path = "/api/v1/fhir/Immunization/{id}", tag = "fhir",
    params(("id" = i64, Path, description = "Vaccination record id")),
    responses((status = 200, description = "Immunization"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn immunization(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    one(state.app.fhir_immunizations(&actor, None, Some(id)).await?)
}

/// A person's lab results as a searchset Bundle of Observations.
#[utoipa::path(get, path = "/api/v1/fhir/Observation", tag = "fhir", params(PatientQuery),
    responses((status = 200, description = "searchset Bundle"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn observations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PatientQuery>,
) -> ApiResult<Response> {
    Ok(searchset(
        state.app.fhir_observations(&actor, q.patient, None).await?,
    ))
}

/// One lab result of a person (`{result id}-{person id}`).
#[utoipa::path(get, path = "/api/v1/fhir/Observation/{id}", tag = "fhir",
    params(("id" = String, Path, description = "`{result id}-{person id}`")),
    responses((status = 200, description = "Observation"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn observation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let Some((result, person)) = id
        .split_once('-')
        .and_then(|(r, p)| Some((r.parse::<i64>().ok()?, p.parse::<i64>().ok()?)))
    else {
        actor.require(fangkong_domain::Permission::TestingRead)?;
        return Err(Error::NotFound.into());
    };
    one(state
        .app
        .fhir_observations(&actor, Some(person), Some(result))
        .await?)
}

/// A person's case as a searchset Bundle of Conditions (empty when not a case).
#[utoipa::path(get, path = "/api/v1/fhir/Condition", tag = "fhir", params(PatientQuery),
    responses((status = 200, description = "searchset Bundle"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn conditions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PatientQuery>,
) -> ApiResult<Response> {
    Ok(searchset(
        state.app.fhir_conditions(&actor, q.patient).await?,
    ))
}

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// A jurisdiction code (default: everything in scope).
    within: Option<String>,
    /// Why the data is needed (audited).
    purpose: Option<String>,
    /// Full ID numbers in the Patients (needs `pii.reveal`).
    reveal: Option<bool>,
}

/// Cases, lab results and immunizations with their Patients as a `collection` Bundle,
/// audited with its purpose.
#[utoipa::path(get, path = "/api/v1/fhir:export", tag = "fhir", params(ExportQuery),
    responses((status = 200, description = "collection Bundle"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let bundle = state
        .app
        .fhir_export(
            &actor,
            q.within.as_deref(),
            q.purpose.as_deref().unwrap_or(""),
            q.reveal.unwrap_or(false),
        )
        .await?;
    Ok(fhir(StatusCode::OK, &bundle))
}
