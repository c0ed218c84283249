//! `/api/v1/coldchain`: imported cold-chain goods: batches, their test results, movements
//! downstream and exposed workers, the downstream trace, and the control tasks a positive
//! result opens. Workers are shown masked.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    ColdchainBatch, ColdchainBatchCreate, ColdchainDistributionCreate, ColdchainLocation,
    ColdchainPlace, ColdchainRecorded, ColdchainResult, ColdchainResultCreate, ColdchainTask,
    ColdchainTaskClose, ColdchainTrace, ColdchainWorker, ColdchainWorkerCreate, ImportSummary,
    Page, Problem,
};
use fangkong_app::coldchain::{
    facility_code, DistributionInput, ExposureInput, LocationInput, ResultInput, TaskView,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// Converts a stored batch to the wire form.
pub fn batch_to_wire(b: &fangkong_store::coldchain::Batch) -> ColdchainBatch {
    ColdchainBatch {
        code: b.code.clone(),
        product: b.product.clone(),
        origin_country: b.origin_country.clone(),
        port_of_entry: b.port_of_entry.clone(),
        cold_store: facility_code(b.cold_store_id, b.cold_store_place_code.as_deref()),
        cold_store_name: b.cold_store_name.clone(),
        jurisdiction_code: b.jurisdiction_code.clone(),
        quantity: b.quantity,
        unit: b.unit.clone(),
        arrived_at: b.arrived_at,
        trace_code: b.trace_code.clone(),
        disinfection_cert: b.disinfection_cert.clone(),
        status: b.status.clone(),
        sealed_at: b.sealed_at,
        positive: b.positives > 0,
    }
}

/// Converts a task to the wire form (masked).
pub fn task_to_wire(t: &TaskView) -> ColdchainTask {
    ColdchainTask {
        id: t.task.id,
        batch: t.task.batch_code.clone(),
        result_id: t.task.result_id,
        kind: t.task.kind.clone(),
        facility: t.facility_code.clone(),
        label: t.label.clone(),
        id_number: t.id_number_masked.clone(),
        jurisdiction_code: t.task.jurisdiction_code.clone(),
        status: t.task.status.clone(),
        note: t.task.note.clone(),
        created_at: t.task.created_at,
        closed_at: t.task.closed_at,
        closed_by: t.task.closed_by.clone(),
    }
}

fn place(p: &ColdchainPlace) -> LocationInput<'_> {
    LocationInput {
        facility: p.facility.as_deref(),
        address: p.address.as_deref(),
        jurisdiction_code: p.jurisdiction_code.as_deref(),
    }
}

fn recorded(
    (r, b): (
        fangkong_store::coldchain::Recorded,
        fangkong_store::coldchain::Batch,
    ),
) -> (StatusCode, Json<ColdchainRecorded>) {
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(ColdchainRecorded {
            created: r.created,
            tasks_created: r.tasks_created,
            batch: batch_to_wire(&b),
        }),
    )
}

/// Filters of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BatchQuery {
    /// `in_store`, `distributed`, `sealed` or `destroyed`.
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Batches whose cold store lies in the caller's jurisdiction, newest arrival first.
#[utoipa::path(get, path = "/api/v1/coldchain/batches", tag = "coldchain", params(BatchQuery),
    responses((status = 200, body = Page<ColdchainBatch>), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn batches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BatchQuery>,
) -> ApiResult<Json<Page<ColdchainBatch>>> {
    let (limit, offset) = super::page(q.limit, q.offset, 100);
    let rows = state
        .app
        .coldchain_batches(
            &actor,
            q.status.as_deref().filter(|s| !s.is_empty()),
            limit,
            offset,
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(batch_to_wire).collect(),
        total: None,
    }))
}

/// Register a batch arriving at a cold store of the caller's jurisdiction; the same batch
/// again changes nothing (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/coldchain/batches", tag = "coldchain",
    request_body = ColdchainBatchCreate,
    responses((status = 201, body = ColdchainBatch), (status = 200, body = ColdchainBatch),
              (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<ColdchainBatchCreate>,
) -> ApiResult<(StatusCode, Json<ColdchainBatch>)> {
    let quantity = body.quantity.to_string();
    let fields = [
        ("code", body.code.as_str()),
        ("product", body.product.as_str()),
        ("origin_country", body.origin_country.as_str()),
        ("port_of_entry", body.port_of_entry.as_str()),
        ("cold_store", body.cold_store.as_str()),
        ("quantity", quantity.as_str()),
        ("unit", body.unit.as_str()),
        ("arrived_at", body.arrived_at.as_str()),
        ("trace_code", body.trace_code.as_str()),
        (
            "disinfection_cert",
            body.disinfection_cert.as_deref().unwrap_or(""),
        ),
    ];
    let (batch, created) = state.app.create_coldchain_batch(&actor, &fields).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(batch_to_wire(&batch))))
}

/// One batch.
#[utoipa::path(get, path = "/api/v1/coldchain/batches/{code}", tag = "coldchain",
    params(("code" = String, Path, description = "Batch code")),
    responses((status = 200, body = ColdchainBatch), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Json<ColdchainBatch>> {
    let b = state.app.coldchain_batch(&actor, &code).await?;
    Ok(Json(batch_to_wire(&b)))
}

/// Record a test result of the batch's goods, packaging or environment. A positive result
/// seals the batch and opens, in the same transaction, a seal-and-disinfect task per location
/// it reached and a quarantine task per exposed worker. The same result again changes
/// nothing (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/coldchain/batches/{code}/results", tag = "coldchain",
    params(("code" = String, Path, description = "Batch code")),
    request_body = ColdchainResultCreate,
    responses((status = 201, body = ColdchainRecorded), (status = 200, body = ColdchainRecorded),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_result(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Json(body): Json<ColdchainResultCreate>,
) -> ApiResult<(StatusCode, Json<ColdchainRecorded>)> {
    let done = state
        .app
        .record_coldchain_result(
            &actor,
            &code,
            &ResultInput {
                sample_kind: body.sample_kind.trim(),
                result: body.result.trim(),
                tested_at: &body.tested_at,
                lab: &body.lab,
            },
        )
        .await?;
    Ok(recorded(done))
}

/// Record a movement of the batch from its cold store to a facility or a free address.
#[utoipa::path(post, path = "/api/v1/coldchain/batches/{code}/distributions", tag = "coldchain",
    params(("code" = String, Path, description = "Batch code")),
    request_body = ColdchainDistributionCreate,
    responses((status = 201, body = ColdchainRecorded), (status = 200, body = ColdchainRecorded),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_distribution(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Json(body): Json<ColdchainDistributionCreate>,
) -> ApiResult<(StatusCode, Json<ColdchainRecorded>)> {
    let done = state
        .app
        .record_coldchain_distribution(
            &actor,
            &code,
            &DistributionInput {
                location: place(&body.place),
                quantity: body.quantity,
                moved_at: &body.moved_at,
            },
        )
        .await?;
    Ok(recorded(done))
}

/// Record a worker (by national ID number, found in the registry) who handled the batch at
/// its cold store or at a location it reached.
#[utoipa::path(post, path = "/api/v1/coldchain/batches/{code}/workers", tag = "coldchain",
    params(("code" = String, Path, description = "Batch code")),
    request_body = ColdchainWorkerCreate,
    responses((status = 201, body = ColdchainRecorded), (status = 200, body = ColdchainRecorded),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn record_worker(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Json(body): Json<ColdchainWorkerCreate>,
) -> ApiResult<(StatusCode, Json<ColdchainRecorded>)> {
    let done = state
        .app
        .record_coldchain_exposure(
            &actor,
            &code,
            &ExposureInput {
                id_number: &body.id_number,
                location: place(&body.place),
                handled_at: &body.handled_at,
            },
        )
        .await?;
    Ok(recorded(done))
}

/// The full downstream trace of a batch: results, every location with quantities and times,
/// every exposed worker (masked) and the tasks.
#[utoipa::path(get, path = "/api/v1/coldchain/batches/{code}/trace", tag = "coldchain",
    params(("code" = String, Path, description = "Batch code")),
    responses((status = 200, body = ColdchainTrace), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn trace(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Json<ColdchainTrace>> {
    let t = state.app.coldchain_trace(&actor, &code).await?;
    Ok(Json(ColdchainTrace {
        batch: batch_to_wire(&t.batch),
        results: t
            .results
            .iter()
            .map(|r| ColdchainResult {
                id: r.id,
                sample_kind: r.sample_kind.clone(),
                result: r.result.clone(),
                tested_at: r.tested_at,
                lab: r.lab.clone(),
            })
            .collect(),
        locations: t
            .locations
            .iter()
            .map(|l| ColdchainLocation {
                kind: l.kind.to_string(),
                facility: l.facility_code.clone(),
                name: l.name.clone(),
                address: l.address.clone(),
                jurisdiction_code: l.jurisdiction_code.clone(),
                quantity: l.quantity,
                at: l.at,
            })
            .collect(),
        workers: t
            .workers
            .iter()
            .map(|w| ColdchainWorker {
                name: w.name_masked.clone(),
                id_number: w.id_number_masked.clone(),
                community_code: w.community_code.clone(),
                location: w.location_name.clone(),
                handled_at: w.handled_at,
            })
            .collect(),
        tasks: t.tasks.iter().map(task_to_wire).collect(),
    }))
}

/// Import a batch list (CSV, XLSX or NDJSON: `code`, `product`, `origin_country`,
/// `port_of_entry`, `cold_store`, `quantity`, `unit`, `arrived_at`, `trace_code`, optional
/// `disinfection_cert`), all rows or none; re-importing the same list changes nothing.
#[utoipa::path(post, path = "/api/v1/coldchain/batches:import", tag = "coldchain",
    params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn import_batches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q
        .file_name
        .unwrap_or_else(|| "coldchain-batches.csv".to_string());
    let outcome = state
        .app
        .import_coldchain_batches(&actor, &file, &body)
        .await?;
    Ok(Json(super::import_summary(file, outcome)))
}

/// Filters of the task list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TaskQuery {
    /// `open` or `done`.
    status: Option<String>,
    /// Only tasks routed inside this jurisdiction (a community, or any code above).
    community: Option<String>,
    limit: Option<i64>,
}

/// Control tasks routed inside the caller's jurisdiction, oldest first.
#[utoipa::path(get, path = "/api/v1/coldchain/tasks", tag = "coldchain", params(TaskQuery),
    responses((status = 200, body = Page<ColdchainTask>), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn tasks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TaskQuery>,
) -> ApiResult<Json<Page<ColdchainTask>>> {
    let rows = state
        .app
        .coldchain_tasks(
            &actor,
            q.status.as_deref().filter(|s| !s.is_empty()),
            q.community.as_deref().filter(|s| !s.is_empty()),
            q.limit.unwrap_or(500),
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(task_to_wire).collect(),
        total: None,
    }))
}

/// Close an open task routed inside the caller's jurisdiction as done, with a note.
#[utoipa::path(post, path = "/api/v1/coldchain/tasks/{id}/close", tag = "coldchain",
    params(("id" = i64, Path, description = "Task id")), request_body = ColdchainTaskClose,
    responses((status = 200, body = ColdchainTask), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn close_task(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<ColdchainTaskClose>,
) -> ApiResult<Json<ColdchainTask>> {
    let t = state
        .app
        .close_coldchain_task(&actor, id, &body.note)
        .await?;
    Ok(Json(task_to_wire(&t)))
}
