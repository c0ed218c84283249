//! `/api/v1/testing`: rounds, batches of sample collections and lab results, retest tasks.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{BatchReport, FieldError, Page, Problem, RetestTask, TestingRound};
use fangkong_app::testing::IngestReport;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

fn round_to_wire(r: &fangkong_store::testing::Round) -> TestingRound {
    TestingRound {
        code: r.code.clone(),
        name: r.name.clone(),
        jurisdiction_code: r.jurisdiction_code.clone(),
        starts_on: r.starts_on.clone(),
        ends_on: r.ends_on.clone(),
    }
}

fn report_to_wire(r: IngestReport) -> BatchReport {
    BatchReport {
        file: r.file,
        rows: r.rows,
        stored: r.stored,
        already_stored: r.already_stored,
        refused: r
            .refused
            .into_iter()
            .map(|e| FieldError {
                line: Some(e.line),
                field: e.field,
                reason: e.reason,
            })
            .collect(),
        tubes_created: r.tubes_created,
        retest_tasks_created: r.retest_tasks_created,
        suspected_cases_created: r.suspected_cases_created,
        fan_out_ms: r.fan_out_ms,
    }
}

/// The testing rounds, newest first.
#[utoipa::path(get, path = "/api/v1/testing/rounds", tag = "testing",
    responses((status = 200, body = Page<TestingRound>), (status = 403, body = Problem)))]
pub async fn rounds(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Page<TestingRound>>> {
    let rows = state.app.rounds(&actor).await?;
    Ok(Json(Page {
        items: rows.iter().map(round_to_wire).collect(),
        total: None,
    }))
}

/// Create a testing round over a jurisdiction.
#[utoipa::path(post, path = "/api/v1/testing/rounds", tag = "testing", request_body = TestingRound,
    responses((status = 201, body = TestingRound), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_round(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<TestingRound>,
) -> ApiResult<(StatusCode, Json<TestingRound>)> {
    let date = |field: &str, v: &str| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| fangkong_app::Error::invalid(field, "expected YYYY-MM-DD"))
    };
    let starts = date("starts_on", &body.starts_on)?;
    let ends = date("ends_on", &body.ends_on)?;
    let round = state
        .app
        .create_round(
            &actor,
            &body.code,
            &body.name,
            &body.jurisdiction_code,
            starts,
            ends,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(round_to_wire(&round))))
}

/// Batch query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BatchQuery {
    /// The file's name; `.csv`, `.xlsx` or `.ndjson` selects the format.
    file_name: Option<String>,
}

/// Submit sample collections (CSV, XLSX or NDJSON); valid rows are kept, bad rows listed.
#[utoipa::path(post, path = "/api/v1/testing/samples:batch", tag = "testing", params(BatchQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = BatchReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn samples_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BatchQuery>,
    body: Bytes,
) -> ApiResult<Json<BatchReport>> {
    let file = q.file_name.unwrap_or_else(|| "samples.ndjson".to_string());
    Ok(Json(report_to_wire(
        state.app.ingest_samples(&actor, &file, &body).await?,
    )))
}

/// Submit tube results (CSV, XLSX or NDJSON); positive pools fan out at once.
#[utoipa::path(post, path = "/api/v1/testing/results:batch", tag = "testing", params(BatchQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = BatchReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn results_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BatchQuery>,
    body: Bytes,
) -> ApiResult<Json<BatchReport>> {
    let file = q.file_name.unwrap_or_else(|| "results.ndjson".to_string());
    Ok(Json(report_to_wire(
        state.app.ingest_results(&actor, &file, &body).await?,
    )))
}

/// Filters of the retest task list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TasksQuery {
    /// `open` or `done`.
    status: Option<String>,
    limit: Option<i64>,
}

/// Retest tasks in the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/testing/retest-tasks", tag = "testing", params(TasksQuery),
    responses((status = 200, body = Page<RetestTask>), (status = 403, body = Problem)))]
pub async fn retest_tasks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TasksQuery>,
) -> ApiResult<Json<Page<RetestTask>>> {
    let rows = state
        .app
        .retest_tasks(
            &actor,
            q.status.as_deref().filter(|s| !s.is_empty()),
            q.limit.unwrap_or(500),
        )
        .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|t| RetestTask {
                id: t.id,
                person_id: t.person_id,
                tube_id: t.tube_code,
                reason: t.reason,
                community_code: t.community_code,
                status: t.status,
                created_at: t.created_at,
            })
            .collect(),
        total: None,
    }))
}
